; JSON has no imports.

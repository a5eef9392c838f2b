; imports for json

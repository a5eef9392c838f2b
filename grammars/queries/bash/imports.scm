; imports for bash

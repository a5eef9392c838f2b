; definitions for json

; definitions for bash

; comments for bash

; definitions for rust

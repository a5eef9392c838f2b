; comments for rust

; imports for rust

; comments for typescript

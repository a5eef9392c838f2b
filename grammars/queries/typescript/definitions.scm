; definitions for typescript

; imports for typescript

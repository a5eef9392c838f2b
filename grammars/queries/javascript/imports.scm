; imports for javascript

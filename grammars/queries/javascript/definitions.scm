; definitions for javascript

; comments for javascript

; comments for ruby

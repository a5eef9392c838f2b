; definitions for ruby

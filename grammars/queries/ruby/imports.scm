; imports for ruby

# A library catalogue, used by the syntax tests.
require "json"
require_relative "lib/isbn"

module Library
  MAX_LOANS = 3

  class Book
    attr_reader :title, :author

    def initialize(title, author, year = nil)
      @title = title
      @author = author
      @year = year
    end

    def label(prefix: "Book")
      year_text = @year ? " (#{@year})" : ""
      "#{prefix}: #{@title} by #{@author}#{year_text}"
    end
  end

  class Catalogue
    def initialize
      @books = []
    end

    def add(book)
      @books << book
      self
    end

    def by_author(name)
      found = @books.select { |book| book.author == name }
      found.map do |book|
        book.label
      end
    end
  end

  def self.load(path)
    data = JSON.parse(File.read(path))
    catalogue = Catalogue.new
    data.each do |entry|
      catalogue.add(Book.new(entry["title"], entry["author"]))
    end
    catalogue
  end
end

puts Library.load("books.json").by_author("Le Guin")

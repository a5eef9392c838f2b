-- A tiny stack class and helpers, used by the syntax tests.
local json = require("json")
local util = require("lib.util")

local Stack = {}
Stack.__index = Stack

local LIMIT = 100

function Stack.new(name)
  local self = setmetatable({}, Stack)
  self.name = name
  self.items = {}
  return self
end

function Stack:push(value)
  if #self.items >= LIMIT then
    error("stack full")
  end
  table.insert(self.items, value)
end

function Stack:pop()
  local top = self.items[#self.items]
  self.items[#self.items] = nil
  return top
end

local function sum(stack, start)
  local total = start or 0
  for index, value in ipairs(stack.items) do
    total = total + value * index
  end
  return total
end

local config = {
  verbose = true,
  depth = 3,
}

local s = Stack.new("numbers")
for i = 1, 5 do
  s:push(i)
end
print(json.encode({ sum = sum(s, 0), config = config }), util.version)

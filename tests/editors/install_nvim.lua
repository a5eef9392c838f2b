-- Neovim started the way a user's would be after `make install PREFIX=...` (run by
-- test_install.py): no -u NONE, no runtimepath tweak; the prefix's share/ is in XDG_DATA_DIRS,
-- so the start package share/nvim/site/pack/understudy/start/understudy is on the packpath,
-- and the prefix's bin/ is on PATH, so the plugin's default command finds the installed server.
local env = function(k) return os.getenv(k) or error('missing env ' .. k) end
local checks = {}
local function check(name, ok, detail)
  table.insert(checks, { name = name, ok = ok and true or false, detail = (not ok) and tostring(detail) or nil })
end
local function finish(err)
  local f = io.open(env('US_RESULT'), 'w')
  f:write(vim.fn.json_encode({ checks = checks, error = err or vim.NIL }))
  f:close()
  vim.cmd('qall!')
end
local prefix = env('US_PREFIX')
local ok, err = pcall(function()
  local files = vim.api.nvim_get_runtime_file('lua/understudy/init.lua', true)
  check('nvim: the installed plugin is found through the packpath',
    #files == 1 and files[1]:sub(1, #prefix) == prefix, vim.inspect(files))
  local us = require('understudy')
  us.setup({ settings = vim.fn.json_decode(env('US_SETTINGS')) }) -- default cmd: understudy on PATH
  vim.cmd('edit ' .. vim.fn.fnameescape(env('US_FILE')))
  local up = vim.wait(20000, function() return (us.status() or ''):find('fake') ~= nil end, 50)
  check('nvim: the installed server starts and reports the provider', up, us.status())
  local cmd = nil
  for _, c in ipairs(vim.lsp.get_active_clients()) do
    if c.name == 'understudy' then cmd = c.config.cmd[1] end
  end
  local exe = cmd and vim.fn.exepath(cmd) or ''
  check('nvim: the server is the installed binary', exe == prefix .. '/bin/understudy', exe)
end)
finish(not ok and tostring(err) or nil)

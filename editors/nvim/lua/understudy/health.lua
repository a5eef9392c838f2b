-- understudy.health: `:checkhealth understudy` (server binary, version, running client, providers).
-- Neovim 0.7-0.9 report through require('health').report_*, 0.10+ through vim.health.*.

local M = {}

local function reporter()
  local h = vim.health or {}
  local old = (not h.start) and require('health') or {}
  return {
    start = h.start or h.report_start or old.report_start,
    ok = h.ok or h.report_ok or old.report_ok,
    warn = h.warn or h.report_warn or old.report_warn,
    error = h.error or h.report_error or old.report_error,
    info = h.info or h.report_info or old.report_info,
  }
end

function M.check()
  local r = reporter()
  local us = require('understudy')
  r.start('understudy')
  if vim.fn.has('nvim-0.7') ~= 1 then
    r.error('Neovim 0.7 or newer is needed')
  else
    r.ok('Neovim ' .. tostring(vim.version().major) .. '.' .. tostring(vim.version().minor)
      .. (vim.lsp.start and '' or ' (vim.lsp.start missing: using start_client)'))
  end
  if not us._setup_done then
    r.warn("setup() has not been called: add require('understudy').setup({}) to your config")
  end
  local exe = us.config.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    r.error('server not executable: ' .. tostring(exe),
      { 'build it with `make build` and put build/understudy on $PATH, or set cmd in setup()' })
    return
  end
  local out = vim.fn.system({ exe, '--version' })
  if vim.v.shell_error == 0 then
    r.ok('server: ' .. vim.fn.exepath(exe) .. ' (' .. vim.trim(out) .. ')')
  else
    r.error('`' .. exe .. ' --version` failed: ' .. vim.trim(out))
  end
  local providers = (us.config.settings or {}).providers
  if type(providers) == 'table' and #providers > 0 then
    r.info(#providers .. ' provider(s) in setup() settings (config.json files add more)')
  end
  local client = us.get_client()
  if not client then
    r.info('no server running in this session (open a file of a configured filetype)')
    return
  end
  r.ok('server running, client id ' .. client.id .. ', position encoding ' .. tostring(client.offset_encoding))
  local st = us.status_table()
  if not st then
    r.warn('no understudy/status notification received yet')
    return
  end
  local line = 'status: ' .. tostring(st.state) .. ', served by ' .. tostring(st.served_by)
  if st.state == 'ok' then
    r.ok(line)
  elseif st.state == 'degraded' then
    r.warn(line)
  else
    r.warn(line .. ' (only the local engine serves)')
  end
  for _, p in ipairs(st.providers or {}) do
    local msg = string.format('%s (%s): %s', tostring(p.name), tostring(p.kind), tostring(p.state))
    if p.reason and p.reason ~= vim.NIL and p.reason ~= '' then
      msg = msg .. ' - ' .. tostring(p.reason)
    end
    if p.state == 'closed' then
      r.ok(msg)
    elseif p.state == 'disabled' then
      r.error(msg)
    else
      r.warn(msg)
    end
  end
end

return M

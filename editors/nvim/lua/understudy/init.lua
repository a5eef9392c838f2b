-- understudy: Neovim client for the Understudy language server (AI completions with failover).
-- Starts and attaches the server, shows ghost text, exposes the server's status for statuslines.
-- Works on Neovim 0.7.2 (start_client + buf_attach_client) and on current releases (vim.lsp.start).

local M = {}

local defaults = {
  -- Command line of the server. 'understudy' must be on $PATH unless a full path is given.
  cmd = { 'understudy', '--stdio' },
  -- Sent as initializationOptions: the same JSON object as config.json (providers, completion,
  -- breaker, cache, local, privacy, log).
  settings = {},
  -- Filetypes to attach to; the string '*' attaches to every buffer with a file.
  filetypes = {
    'c', 'cpp', 'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact',
    'go', 'rust', 'java', 'ruby', 'sh', 'bash', 'zsh', 'lua', 'json', 'jsonc',
  },
  -- Files or folders whose nearest ancestor is the workspace root; the cwd otherwise.
  root_markers = { '.git', '.understudyignore' },
  ghost_text = true,
  debounce_ms = 120,
  -- Insert-mode keys; set one to false to leave the key alone. Each key keeps its normal meaning
  -- when no ghost text is shown.
  keys = {
    accept = '<Tab>',
    accept_word = '<M-Right>',
    accept_line = '<M-Down>',
    dismiss = '<C-]>',
    trigger = '<M-\\>',
  },
  -- Set 'omnifunc' to the LSP omnifunc in attached buffers (popup completion with <C-x><C-o>).
  omnifunc = true,
  -- Called after the plugin attached a buffer: function(client, bufnr).
  on_attach = nil,
}

M.config = vim.deepcopy(defaults)
M._status = nil          -- last understudy/status notification (table), shared by all clients
M._clients = {}          -- root_dir -> client id (Neovim 0.7 path)
M._setup_done = false

-- Neovim 0.11 turned client functions into methods (client:request); 0.7 has plain closures.
local new_methods = vim.fn.has('nvim-0.11') == 1
function M.call(client, name, ...)
  if new_methods then
    return client[name](client, ...)
  end
  return client[name](...)
end

local function clients_of(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr })
  end
  if bufnr then
    return vim.lsp.buf_get_clients(bufnr)
  end
  return vim.lsp.get_active_clients()
end

local function notify(msg, level)
  vim.notify('understudy: ' .. msg, level or vim.log.levels.INFO)
end

local function merge(dst, src)
  for k, v in pairs(src or {}) do
    if type(v) == 'table' and type(dst[k]) == 'table' and not vim.tbl_islist(v) and k ~= 'settings' then
      merge(dst[k], v)
    else
      dst[k] = v
    end
  end
  return dst
end

-- The client object for a buffer, or for any running Understudy client when bufnr is nil.
function M.get_client(bufnr)
  for _, c in pairs(clients_of(bufnr)) do
    if c.name == 'understudy' and not M.call(c, 'is_stopped') then
      return c
    end
  end
  return nil
end

local function root_dir_for(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return vim.fn.getcwd()
  end
  local dir = vim.fn.fnamemodify(name, ':p:h')
  for _, marker in ipairs(M.config.root_markers or {}) do
    local found = vim.fn.finddir(marker, dir .. ';')
    if found == '' then
      found = vim.fn.findfile(marker, dir .. ';')
    end
    if found ~= '' then
      return vim.fn.fnamemodify(found, ':p:h:h'):gsub('/$', '')
    end
  end
  return vim.fn.getcwd()
end

-- The status notification is what statuslines show; keep the latest and let them redraw.
local function on_status(err, result)
  if err or type(result) ~= 'table' then
    return
  end
  M._status = result
  vim.schedule(function()
    pcall(vim.cmd, 'redrawstatus')
    pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'UnderstudyStatus', modeline = false })
  end)
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.textDocument = caps.textDocument or {}
  -- Neovim before 0.12 has no inline completion of its own; the plugin renders it.
  caps.textDocument.inlineCompletion = caps.textDocument.inlineCompletion or { dynamicRegistration = false }
  return caps
end

local function on_attach(client, bufnr)
  if M.config.omnifunc then
    vim.api.nvim_buf_set_option(bufnr, 'omnifunc', 'v:lua.vim.lsp.omnifunc')
  end
  if M.config.ghost_text then
    require('understudy.ghost').attach(bufnr)
  end
  if M.config.on_attach then
    M.config.on_attach(client, bufnr)
  end
end

local function client_config(bufnr)
  local settings = M.config.settings
  if settings == nil or next(settings) == nil then
    settings = vim.empty_dict()
  end
  return {
    name = 'understudy',
    cmd = M.config.cmd,
    root_dir = root_dir_for(bufnr),
    init_options = settings,
    capabilities = capabilities(),
    handlers = { ['understudy/status'] = on_status },
    on_attach = on_attach,
    on_exit = function()
      M._status = nil
      vim.schedule(function()
        pcall(vim.cmd, 'redrawstatus')
      end)
    end,
  }
end

-- Start (or reuse) the server for this buffer and attach it. Returns the client id or nil.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.fn.executable(M.config.cmd[1]) ~= 1 then
    notify('server not found: ' .. tostring(M.config.cmd[1]) .. ' (set cmd in setup())', vim.log.levels.WARN)
    return nil
  end
  local config = client_config(bufnr)
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  -- Neovim 0.7: one client per root folder, reused across buffers.
  local id = M._clients[config.root_dir]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or M.call(client, 'is_stopped') then
    id = vim.lsp.start_client(config)
    if not id then
      return nil
    end
    M._clients[config.root_dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

local function wanted(bufnr)
  if vim.api.nvim_buf_get_option(bufnr, 'buftype') ~= '' then
    return false
  end
  local fts = M.config.filetypes
  if fts == '*' then
    return true
  end
  local ft = vim.api.nvim_buf_get_option(bufnr, 'filetype')
  return vim.tbl_contains(fts, ft)
end

-- Providers in a state worth a word in the statusline: 'claude slow', 'gpt rate-limited 42s',
-- 'codestral rejected' (open and disabled ones are what 'degraded' says).
local NOTED = { slow = 'slow', rate_limited = 'rate-limited', rejected = 'rejected' }
local function provider_notes(st)
  local notes = {}
  for _, p in ipairs(st.providers or {}) do
    local word = NOTED[p.state]
    if word then
      local n = tostring(p.name) .. ' ' .. word
      if p.state == 'rate_limited' and type(p.retry_in_ms) == 'number' and p.retry_in_ms > 0 then
        n = n .. ' ' .. math.ceil(p.retry_in_ms / 1000) .. 's'
      end
      table.insert(notes, n)
    end
  end
  return notes
end

-- Text for a statusline: '' when no server runs, otherwise which provider serves and how healthy
-- the chain is, e.g. 'understudy: claude', 'understudy: gpt (degraded; claude rate-limited 42s)',
-- 'understudy: claude (claude slow)', 'understudy: offline'.
function M.status()
  local st = M._status
  if not st then
    return M.get_client() and 'understudy: starting' or ''
  end
  local notes = table.concat(provider_notes(st), ', ')
  local head = 'understudy: ' .. tostring(st.served_by or '?')
  if st.state == 'offline' then
    head = 'understudy: offline'
  elseif st.state == 'degraded' then
    return head .. ' (degraded' .. (notes ~= '' and ('; ' .. notes) or '') .. ')'
  end
  return notes ~= '' and (head .. ' (' .. notes .. ')') or head
end

-- :UnderstudyRetry resets every provider's breaker on the server and probes them now.
function M.retry(done)
  local client = M.get_client(vim.api.nvim_get_current_buf()) or M.get_client()
  if not client then
    notify('not running in this session', vim.log.levels.WARN)
    return
  end
  M.call(client, 'request', 'workspace/executeCommand',
    { command = 'understudy.retryProviders', arguments = {} },
    function(err, result)
      if err then
        notify('retry failed: ' .. vim.inspect(err), vim.log.levels.ERROR)
      else
        notify('providers reset; probing them now', vim.log.levels.INFO)
      end
      if type(done) == 'function' then
        done(err, result)
      end
    end, vim.api.nvim_get_current_buf())
end

-- The last status notification as a table (state, served_by, providers), or nil.
function M.status_table()
  return M._status
end

local function fmt_provider(p)
  local parts = { string.format('  %-16s %-18s %-9s', tostring(p.name), tostring(p.kind), tostring(p.state)) }
  if p.reason and p.reason ~= vim.NIL and p.reason ~= '' then
    table.insert(parts, tostring(p.reason))
  end
  if type(p.retry_in_ms) == 'number' and p.retry_in_ms > 0 then
    table.insert(parts, string.format('retry in %.1fs', p.retry_in_ms / 1000))
  end
  if type(p.p50_ms) == 'number' then
    table.insert(parts, string.format('p50 %dms', p.p50_ms))
  end
  if type(p.requests) == 'number' then
    table.insert(parts, string.format('%d req / %d failed', p.requests, p.failures or 0))
  end
  return table.concat(parts, '  ')
end

-- Lines describing a status object, for :UnderstudyStatus.
function M.format_status(st)
  local lines = { string.format('Understudy: %s, served by %s', tostring(st.state), tostring(st.served_by)) }
  for _, p in ipairs(st.providers or {}) do
    table.insert(lines, fmt_provider(p))
  end
  if #(st.providers or {}) == 0 then
    table.insert(lines, '  no providers configured: the local engine serves')
  end
  return lines
end

-- :UnderstudyStatus asks the server (fresher than the last notification) and prints the table.
function M.show_status()
  local client = M.get_client(vim.api.nvim_get_current_buf()) or M.get_client()
  if not client then
    notify('not running in this session', vim.log.levels.WARN)
    return
  end
  M.call(client, 'request', 'workspace/executeCommand', { command = 'understudy.status', arguments = {} },
    function(err, result)
      local st = (not err and type(result) == 'table') and result or M._status
      if not st then
        notify('no status: ' .. vim.inspect(err), vim.log.levels.ERROR)
        return
      end
      local chunks = {}
      for _, l in ipairs(M.format_status(st)) do
        table.insert(chunks, { l .. '\n' })
      end
      vim.api.nvim_echo(chunks, true, {})
    end, vim.api.nvim_get_current_buf())
end

-- :UnderstudyRestart stops every Understudy client and attaches the wanted buffers again.
function M.restart()
  local bufs = {}
  for _, c in ipairs(clients_of(nil)) do
    if c.name == 'understudy' then
      for b in pairs(c.attached_buffers or {}) do
        table.insert(bufs, b)
      end
      M.call(c, 'stop')
    end
  end
  M._clients = {}
  M._status = nil
  local tries = 0
  local function again()
    tries = tries + 1
    if M.get_client() and tries < 50 then
      return vim.defer_fn(again, 50)
    end
    for _, b in ipairs(bufs) do
      if vim.api.nvim_buf_is_valid(b) then
        M.attach(b)
      end
    end
  end
  vim.defer_fn(again, 50)
end

function M.setup(opts)
  M.config = merge(vim.deepcopy(defaults), opts or {})
  if opts and opts.keys then
    M.config.keys = vim.tbl_extend('force', vim.deepcopy(defaults.keys), opts.keys)
  end
  if type(M.config.cmd) == 'string' then
    M.config.cmd = { M.config.cmd }
  end
  vim.cmd('highlight default link UnderstudyGhost Comment')

  local group = vim.api.nvim_create_augroup('understudy', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    callback = function(args)
      if wanted(args.buf) then
        M.attach(args.buf)
      end
    end,
  })
  if not M._setup_done then
    vim.api.nvim_create_user_command('UnderstudyStatus', M.show_status, { desc = 'Show Understudy provider status' })
    vim.api.nvim_create_user_command('UnderstudyRestart', M.restart, { desc = 'Restart the Understudy server' })
    vim.api.nvim_create_user_command('UnderstudyRetry', function() M.retry() end,
      { desc = 'Reset every provider breaker and probe them now' })
  end
  M._setup_done = true
  -- Buffers already open when setup() runs (e.g. lazy loading).
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.api.nvim_buf_get_option(b, 'filetype') ~= '' and wanted(b) then
      M.attach(b)
    end
  end
end

return M

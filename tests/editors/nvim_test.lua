-- Headless Neovim test of editors/nvim against the real server (run by test_nvim.py).
-- The steps run in a coroutine that yields back to Neovim's main loop between them, so typed
-- keys (nvim_feedkeys) go through insert mode, mappings and autocommands as a user's would.

local env = function(k) return os.getenv(k) or error('missing env ' .. k) end
local result_path = env('US_RESULT')
local checks = {}
local finished = false

local function finish(err)
  if finished then return end
  finished = true
  local f = io.open(result_path, 'w')
  f:write(vim.fn.json_encode({ checks = checks, error = err or vim.NIL }))
  f:close()
  vim.cmd('qall!')
end

local function check(name, ok, detail)
  table.insert(checks, { name = name, ok = ok and true or false, detail = (not ok) and detail or nil })
end

local function eq(name, got, want)
  check(name, vim.deep_equal(got, want), 'got ' .. vim.inspect(got) .. ', want ' .. vim.inspect(want))
end

-- Whole-test watchdog: the test always ends by itself.
vim.defer_fn(function() finish('watchdog: test did not finish in 75 s') end, 75000)

local co
local function resume()
  local ok, err = coroutine.resume(co)
  if not ok then
    finish(tostring(err) .. '\n' .. debug.traceback(co))
  elseif coroutine.status(co) == 'dead' then
    finish(nil)
  end
end

-- Yield to the main loop until pred() is true; error after timeout_ms.
local function wait_for(what, pred, timeout_ms)
  local deadline = vim.loop.now() + (timeout_ms or 10000)
  while true do
    local ok, v = pcall(pred)
    if ok and v then return v end
    if vim.loop.now() > deadline then
      error('timed out waiting for ' .. what, 2)
    end
    vim.defer_fn(resume, 20)
    coroutine.yield()
  end
end

local function sleep(ms)
  vim.defer_fn(resume, ms)
  coroutine.yield()
end

local function keys(s)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(s, true, false, true), 't', false)
end

local function fake_control(obj)
  local code = 'import json,sys,urllib.request as u;' ..
      'u.urlopen(u.Request(sys.argv[1]+"/_control",data=sys.argv[2].encode(),method="POST"),timeout=10).read()'
  vim.fn.system({ 'python3', '-c', code, env('US_FAKE_URL'), vim.fn.json_encode(obj) })
  return vim.v.shell_error == 0
end

-- The body of the newest completion request the fake received, as JSON text ('' if none).
local function last_request_body()
  local code = 'import json,sys,urllib.request as u;' ..
      'r=[q for q in json.load(u.urlopen(sys.argv[1]+"/_stats",timeout=10))["requests"]' ..
      ' if q.get("path") and not q["path"].startswith("/_")];' ..
      'print(json.dumps(r[-1].get("json")) if r else "")'
  local out = vim.fn.system({ 'python3', '-c', code, env('US_FAKE_URL') })
  return vim.v.shell_error == 0 and out or ''
end

local function lines(a, b)
  return vim.api.nvim_buf_get_lines(0, a, b, false)
end

local function main()
  vim.opt.runtimepath:prepend(env('US_PLUGIN'))
  -- A user's default set-up: filetype plugins and indentation on (Python's indent plugin
  -- indents the line after `def add(a, b):`), Neovim's default options otherwise.
  vim.cmd('filetype plugin indent on')
  vim.o.shortmess = vim.o.shortmess .. 'F'
  local us = require('understudy')
  local ghost = require('understudy.ghost')
  us.setup({
    cmd = { env('US_BIN'), '--stdio' },
    settings = vim.fn.json_decode(env('US_SETTINGS')),
    debounce_ms = 30,
  })
  local ai = env('US_AI_TEXT')
  local ai_lines = vim.split(ai, '\n', true)

  vim.cmd('edit ' .. vim.fn.fnameescape(env('US_FILE')))
  eq('filetype detected', vim.bo.filetype, 'python')
  local client = wait_for('client to start', function() return us.get_client(0) end, 10000)
  wait_for('client initialized', function() return client.initialized end, 10000)
  check('omnifunc set', vim.bo.omnifunc == 'v:lua.vim.lsp.omnifunc', vim.bo.omnifunc)
  local first_status = wait_for('first understudy/status', function()
    local s = us.status()
    return s ~= '' and s ~= 'understudy: starting' and s
  end, 10000)
  eq('status string names the serving provider', first_status, 'understudy: fake')

  -- Open a line after the last one (the indent plugin indents it) and wait for ghost text;
  -- a line opened by `o` has no typing in insert mode yet, so ask with the trigger key
  -- when nothing came by itself.
  local function open_line_with_ghost(what)
    keys('Go')
    if not pcall(wait_for, what, function() return ghost.visible(0) end, 1500) then
      keys('<M-\\>')
      wait_for(what, function() return ghost.visible(0) end, 10000)
    end
  end

  -- 1. Ghost text on the (auto-indented) line after `def add(a, b):`, then <Tab> accepts all.
  open_line_with_ghost('ghost text')
  eq('the indent plugin indented the new line', lines(1, 2)[1], '    ')
  local marks = vim.api.nvim_buf_get_extmarks(0, ghost.ns, 0, -1, { details = true })
  eq('one ghost extmark', #marks, 1)
  local m = marks[1] or { 0, 0, 0, {} }
  local d = m[4]
  eq('ghost extmark at the cursor', { m[2], m[3] }, { 1, 4 })
  eq('ghost first line (overlay virt_text)', d.virt_text and d.virt_text[1][1], ai_lines[1])
  local vl = {}
  for _, l in ipairs(d.virt_lines or {}) do table.insert(vl, l[1][1]) end
  eq('ghost further lines (virt_lines)', vl, { unpack(ai_lines, 2) })
  eq('ghost text is the fake provider\'s text', ghost.text(0), ai)
  keys('<Tab>')
  wait_for('accept', function() return not ghost.visible(0) end, 5000)
  eq('Tab inserts the suggestion exactly', lines(0, -1),
    { 'def add(a, b):', '    ' .. ai_lines[1], unpack(ai_lines, 2) })
  local cur = vim.api.nvim_win_get_cursor(0)
  eq('cursor after the inserted text', cur, { #ai_lines + 1, #ai_lines[#ai_lines] })
  keys('<Esc>')
  sleep(50)

  -- 2. Word and line accept, from the same place again (the server's cache answers).
  vim.api.nvim_buf_set_lines(0, 1, -1, false, {})
  open_line_with_ghost('second ghost text')
  eq('same suggestion again', ghost.text(0), ai)
  local first_word = ai:match('^%s*[%w_]+')
  keys('<M-Right>')
  wait_for('word accept', function() return lines(1, 2)[1] ~= '    ' end, 5000)
  eq('word accept inserts one word', lines(1, 2)[1], '    ' .. first_word)
  eq('ghost keeps the rest after a word accept', ghost.visible(0) and ghost.text(0), ai:sub(#first_word + 1))
  keys('<M-Down>')
  wait_for('line accept', function() return lines(1, 2)[1] == '    ' .. ai_lines[1] end, 5000)
  check('line accept completes the first line only', #lines(0, -1) == 2 and ghost.visible(0)
    and ghost.text(0) == ai:sub(#ai_lines[1] + 1), vim.inspect(lines(0, -1)) .. ' ghost ' .. vim.inspect(ghost.text(0)))
  keys('<C-]>')
  wait_for('dismiss', function() return not ghost.visible(0) end, 5000)
  eq('dismiss leaves the buffer alone', lines(0, -1), { 'def add(a, b):', '    ' .. ai_lines[1] })
  keys('<Esc>')
  sleep(50)

  -- 3. Popup completion through the built-in omnifunc: the AI item and local items
  --    ('total' is a word of the file).
  local function popup_items()
    local info = vim.fn.complete_info({ 'items' })
    return info.items or {}
  end
  local function item_source(it)
    local ci = type(it.user_data) == 'table' and it.user_data.nvim and it.user_data.nvim.lsp
        and it.user_data.nvim.lsp.completion_item or {}
    return (type(ci.data) == 'table' and ci.data.source)
        or (type(ci.labelDetails) == 'table' and ci.labelDetails.description) or '?'
  end
  -- What the menu shows for an item (its `menu` column): the provider for the AI item,
  -- local:snippet / local:symbol / local:word (then the kind) for local items.
  local function menu_shows_source(it)
    local src, menu = item_source(it), tostring(it.menu)
    return menu == src or menu:sub(1, #src + 1) == src .. ' '
  end
  local sources, got, has_local, menus_ok = {}, {}, false, false
  for attempt = 1, 3 do
    keys('Goto')
    sleep(50)
    keys('<C-x><C-o>')
    local ok = pcall(wait_for, 'omnifunc popup', function() return #popup_items() > 0 end, 5000)
    sources = {}
    got = {}
    menus_ok = ok
    if ok then
      for _, it in ipairs(popup_items()) do
        local src = item_source(it)
        sources[src] = true
        menus_ok = menus_ok and menu_shows_source(it)
        table.insert(got, src .. ':' .. tostring(it.abbr) .. ' [' .. tostring(it.menu) .. ']')
      end
    end
    keys('<C-e><Esc>')
    sleep(50)
    keys('dd')
    sleep(50)
    has_local = false
    for s in pairs(sources) do
      if tostring(s):match('^local:') then has_local = true end
    end
    -- The popup waits popup_budget_ms for the AI item; a slow first try fills the cache.
    if sources.fake and has_local then break end
  end
  check('omnifunc offers the AI item (source fake)', sources.fake, vim.inspect(got))
  check('omnifunc offers local items (local:*)', has_local, vim.inspect(got))
  check('the popup menu shows each item\'s source (fake, local:*)', menus_ok, vim.inspect(got))

  -- 3a. A local symbol in the menu: `ad` matches the function `add`; the menu column shows
  --     `local:symbol function`, not the bare kind (`function`) Neovim shows from `detail`.
  local sym_menu, sym_got = nil, {}
  keys('Goad')
  sleep(50)
  keys('<C-x><C-o>')
  if pcall(wait_for, 'omnifunc popup', function() return #popup_items() > 0 end, 5000) then
    for _, it in ipairs(popup_items()) do
      table.insert(sym_got, item_source(it) .. ':' .. tostring(it.abbr) .. ' [' .. tostring(it.menu) .. ']')
      if it.abbr == 'add' and item_source(it) == 'local:symbol' then sym_menu = it.menu end
    end
  end
  keys('<C-e><Esc>')
  sleep(50)
  keys('dd')
  sleep(50)
  check('the popup menu labels the local symbol `add` local:symbol',
    type(sym_menu) == 'string' and sym_menu:match('^local:symbol') ~= nil, vim.inspect(sym_got))

  -- 3b. The popup menu over ghost text: the ghost hides while the menu is open and comes back
  --     when it closes (<C-e>); accepting the multi-line AI item from the menu (<C-y>) inserts
  --     its lines, never a NUL byte (Vim's menu inserts line breaks as NUL).
  vim.api.nvim_buf_set_lines(0, 1, -1, false, {})
  local accepted, ghost_before, popup_text = false, nil, nil
  for attempt = 1, 3 do
    open_line_with_ghost('ghost before the popup')
    ghost_before = ghost.text(0)
    keys('<C-x><C-o>')
    local ok = pcall(wait_for, 'omnifunc popup', function() return #popup_items() > 0 end, 5000)
    if ok then
      check('ghost hidden while the popup menu is open (attempt ' .. attempt .. ')',
        not ghost.visible(0) and #vim.api.nvim_buf_get_extmarks(0, ghost.ns, 0, -1, {}) == 0,
        vim.inspect(vim.api.nvim_buf_get_extmarks(0, ghost.ns, 0, -1, { details = true })))
      local first = popup_items()[1] or {}
      local ci = type(first.user_data) == 'table' and first.user_data.nvim and first.user_data.nvim.lsp
          and first.user_data.nvim.lsp.completion_item or {}
      local src = type(ci.data) == 'table' and ci.data.source
      popup_text = { word = first.word, newText = ci.textEdit and ci.textEdit.newText }
      if src == 'fake' and popup_text.newText and popup_text.newText:find('\n') then
        keys('<C-y>')
        wait_for('popup closed', function() return vim.fn.pumvisible() == 0 end, 3000)
        sleep(100)
        accepted = true
        break
      end
    end
    keys('<C-e><Esc>')
    sleep(50)
    vim.api.nvim_buf_set_lines(0, 1, -1, false, {})
  end
  check('the popup offered the AI item first', accepted, vim.inspect(lines(0, -1)))
  if accepted then
    local got = lines(0, -1)
    local has_nul = false
    for _, l in ipairs(got) do
      if l:find('\0', 1, true) or l:find('\n', 1, true) then has_nul = true end
    end
    check('accepting the multi-line item from <C-x><C-o> inserts no NUL', not has_nul, vim.inspect(got))
    eq('the popup inserts the suggestion exactly (item ' .. vim.inspect(vim.v.completed_item.word) .. ', ghost was ' .. vim.inspect(ghost_before) .. ')', got,
      { 'def add(a, b):', '    ' .. ai_lines[1], unpack(ai_lines, 2) })
  end
  keys('<Esc>')
  sleep(50)
  vim.api.nvim_buf_set_lines(0, 1, -1, false, {})
  -- Closing the menu without a choice (<C-e>) brings the ghost back.
  open_line_with_ghost('ghost before a popup closed with <C-e>')
  keys('<C-x><C-o>')
  if pcall(wait_for, 'omnifunc popup', function() return #popup_items() > 0 end, 5000) then
    check('ghost hidden while the popup menu is open (2)', not ghost.visible(0))
    keys('<C-e>')
    local back = pcall(wait_for, 'ghost back after the popup closed', function()
      return vim.fn.pumvisible() == 0 and ghost.visible(0)
    end, 3000)
    check('ghost comes back when the popup closes', back, vim.inspect(lines(0, -1)))
  else
    check('popup opens over ghost text', false)
  end
  keys('<C-e><Esc>')
  sleep(50)
  vim.api.nvim_buf_set_lines(0, 1, -1, false, {})

  -- 3c. A single match with Neovim's default 'completeopt' (menu,preview): no menu is shown,
  --     Vim inserts the only item at once (its line breaks as NUL), and the user leaves insert
  --     mode with <Esc> (the cursor moves back one column) or keeps typing. `tot` is a prefix
  --     only the AI item matches (the fake continues it with `al = a + b...`). The file written
  --     by :w must hold the suggestion exactly, with no NUL byte.
  eq('default completeopt', vim.o.completeopt, 'menu,preview')
  check('fake continues `tot`', fake_control({ mode = 'healthy', text = ai:sub(4) }))
  local path = env('US_FILE')
  local function read_file()
    local f = io.open(path, 'rb')
    local data = f and f:read('*a')
    if f then f:close() end
    return data
  end
  local want_file = 'def add(a, b):\n    ' .. ai .. '\n'
  for _, after in ipairs({ '<Esc>', ' ' }) do
    local what = after == ' ' and 'typing a space' or after
    local single, last = false, nil
    for attempt = 1, 3 do
      vim.api.nvim_buf_set_lines(0, 1, -1, false, {})
      keys('Gotot')
      sleep(100)
      keys('<C-x><C-o>')
      -- The only match is inserted without a menu (the line grows past `tot`).
      local ok = pcall(wait_for, 'the single match inserted', function()
        return (lines(1, 2)[1] or ''):find('total', 1, true)
      end, 5000)
      last = { pum = vim.fn.pumvisible(), items = #popup_items(), lines = lines(0, -1) }
      if ok and vim.fn.pumvisible() == 0 and #popup_items() <= 1 then
        keys(after)
        sleep(300)
        -- The cursor stays where the key put it, after the expanded lines.
        local want_cur = after == ' ' and { 3, #ai_lines[2] + 1 } or { 3, #ai_lines[2] - 1 }
        eq('single match then ' .. what .. ': cursor after the expanded text',
          vim.api.nvim_win_get_cursor(0), want_cur)
        single = true
        break
      end
      keys('<C-e><Esc>')
      sleep(100)
    end
    check('a single match (no menu), then ' .. what, single, vim.inspect(last))
    if single then
      keys('<Esc>')
      sleep(50)
      vim.cmd('silent write')
      local data = read_file() or ''
      check('single match then ' .. what .. ': the written file has no NUL byte',
        not data:find('\0', 1, true), vim.inspect(data))
      local want = want_file
      if after == ' ' then
        want = 'def add(a, b):\n    ' .. ai .. ' \n'
      end
      eq('single match then ' .. what .. ': the written file is the suggestion exactly', data, want)
    end
  end
  fake_control({ mode = 'healthy', text = ai })
  vim.api.nvim_buf_set_lines(0, 1, -1, false, {})
  vim.cmd('silent write')

  -- 3d. A string being typed: with Neovim's defaults no quote is closed as it opens, so the
  --     line holds an unclosed one; the request the provider gets says the cursor is inside a
  --     string literal (the server found the string the grammar cannot see yet).
  keys('Goprint("Hello, wor')
  sleep(50)
  eq('Neovim left the quote open', lines(-2, -1), { '    print("Hello, wor' })
  keys('<M-\\>')
  local body = pcall(wait_for, 'a request for the string', function()
    local b = last_request_body()
    return b:find('Hello, wor', 1, true) and b
  end, 10000) and last_request_body() or ''
  check('the prompt says the cursor is inside a string literal',
    body:find('inside a string literal', 1, true) ~= nil, body)
  keys('<Esc>')
  sleep(50)
  vim.api.nvim_buf_set_lines(0, 1, -1, false, {})
  vim.cmd('silent write')

  -- 4. The provider starts failing: the status string must change.
  check('fake switched to failing', fake_control({ mode = 'status_503' }))
  local changed = nil
  for attempt = 1, 4 do
    keys('Gox' .. attempt .. ' = ')
    local ok = pcall(wait_for, 'status change', function()
      return us.status() ~= first_status and us.status()
    end, 3000)
    keys('<Esc>')
    sleep(30)
    if ok then changed = us.status() break end
  end
  check('status string changes when the provider fails', changed ~= nil and changed ~= first_status,
    'still ' .. us.status())
  check('status says degraded or offline', changed and (changed:match('offline') or changed:match('degraded')),
    tostring(changed))
  local st = us.status_table() or {}
  local p = (st.providers or {})[1] or {}
  check('status table shows the provider not closed', p.name == 'fake' and p.state ~= 'closed', vim.inspect(st))

  -- 5. :UnderstudyStatus and the health check run without errors.
  local ok, err = pcall(vim.cmd, 'UnderstudyStatus')
  check(':UnderstudyStatus runs', ok, err)
  ok, err = pcall(vim.cmd, 'checkhealth understudy')
  local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  check(':checkhealth understudy runs', ok and report:match('server running'), tostring(err) .. '\n' .. report)
  check(':checkhealth understudy reports no error', not report:match('ERROR'), report)

  -- 6. The states a status can carry (issue 18): slow, rate_limited, rejected, offline, each
  -- shown in the statusline, delivered through the client's own notification handler.
  local handler = (client.handlers or {})['understudy/status'] or
      ((client.config or {}).handlers or {})['understudy/status']
  check('status handler registered', type(handler) == 'function')
  local function shown(status_obj)
    handler(nil, status_obj, { method = 'understudy/status', client_id = client.id })
    return us.status()
  end
  local function pv(name, state, extra)
    return vim.tbl_extend('force', { name = name, kind = 'openai', state = state, reason = '',
      retry_in_ms = 0, p50_ms = 0, requests = 0, failures = 0 }, extra or {})
  end
  eq('slow shown', shown({ state = 'ok', served_by = 'claude', providers = { pv('claude', 'slow') } }),
    'understudy: claude (claude slow)')
  eq('rate_limited shown with its reset',
    shown({ state = 'degraded', served_by = 'gpt', providers = {
      pv('claude', 'rate_limited', { retry_in_ms = 41200 }), pv('gpt', 'closed') } }),
    'understudy: gpt (degraded; claude rate-limited 42s)')
  eq('rejected shown', shown({ state = 'degraded', served_by = 'gpt', providers = {
      pv('claude', 'rejected', { reason = 'HTTP 400: bad' }), pv('gpt', 'closed') } }),
    'understudy: gpt (degraded; claude rejected)')
  eq('offline shown', shown({ state = 'offline', served_by = 'local', providers = { pv('claude', 'open') } }),
    'understudy: offline')

  -- 7. :UnderstudyRetry: the provider is healthy again; the command resets its breaker and
  -- probes it, and the statusline names it again.
  check('fake healthy again', fake_control({ mode = 'healthy' }))
  check(':UnderstudyRetry exists', vim.fn.exists(':UnderstudyRetry') == 2)
  ok, err = pcall(vim.cmd, 'UnderstudyRetry')
  check(':UnderstudyRetry runs', ok, err)
  local back = pcall(wait_for, 'status back after retry', function()
    return us.status() == 'understudy: fake'
  end, 5000)
  check('statusline names the provider again after :UnderstudyRetry', back, us.status())
  local st2 = us.status_table() or {}
  check('provider closed after retry', ((st2.providers or {})[1] or {}).state == 'closed', vim.inspect(st2))
end

co = coroutine.create(main)
vim.schedule(resume)

-- understudy.ghost: ghost text from textDocument/inlineCompletion, drawn with extmarks.
-- Neovim 0.7 has no inline virtual text, so the first line is an overlay at the cursor (the rest
-- of the line is redrawn after it) and further lines are virt_lines; 0.10+ uses inline text.

local M = {}

local ns = vim.api.nvim_create_namespace('understudy_ghost')
local has_inline = vim.fn.has('nvim-0.10') == 1

-- Per buffer: { timer, request = {client, id}, seq, item, ghost, row, col, mark, own_tick }
local state = {}

M.ns = ns

local function us()
  return require('understudy')
end

local function st(bufnr)
  state[bufnr] = state[bufnr] or { seq = 0 }
  return state[bufnr]
end

local function cancel_request(s)
  if s.request then
    pcall(us().call, s.request.client, 'cancel_request', s.request.id)
    s.request = nil
  end
end

-- Remove the ghost text (and forget the suggestion) in bufnr.
function M.clear(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local s = state[bufnr]
  if not s then
    return
  end
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  end
  s.item, s.ghost, s.mark, s.hidden = nil, nil, nil, nil
end

-- True when a suggestion is on screen in the current buffer (not while a popup menu hides it).
function M.visible(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local s = state[bufnr]
  return s ~= nil and s.ghost ~= nil and s.ghost ~= '' and not s.hidden
end

-- True when a suggestion is held back because the popup menu is open.
function M.hidden(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local s = state[bufnr]
  return s ~= nil and s.ghost ~= nil and s.hidden == true
end

-- The text not yet inserted (what the ghost shows), or nil.
function M.text(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local s = state[bufnr]
  return s and s.ghost
end

local function expand_tabs(text)
  if not text:find('\t', 1, true) then
    return text
  end
  local ts = vim.bo.tabstop > 0 and vim.bo.tabstop or 8
  return (text:gsub('\t', string.rep(' ', ts)))
end

local function render(bufnr, s)
  vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  if vim.fn.pumvisible() == 1 then
    -- Never draw over an open popup menu; CompleteDone draws it again.
    s.hidden = true
    s.tick = vim.api.nvim_buf_get_changedtick(bufnr)
    return
  end
  s.hidden = false
  local lines = vim.split(s.ghost, '\n', true)
  local line = vim.api.nvim_buf_get_lines(bufnr, s.row, s.row + 1, false)[1] or ''
  local suffix = line:sub(s.col + 1)
  local opts = { hl_mode = 'combine' }
  if has_inline then
    opts.virt_text = { { expand_tabs(lines[1]), 'UnderstudyGhost' } }
    opts.virt_text_pos = 'inline'
  else
    -- Overlay covers the text after the cursor; redraw that text after the ghost so the line
    -- reads as it will after accepting (only the first line when the ghost has more lines).
    local first = expand_tabs(lines[1])
    local chunks = { { first, 'UnderstudyGhost' } }
    if suffix ~= '' then
      if #lines == 1 then
        table.insert(chunks, { suffix, 'Normal' })
      else
        local pad = vim.fn.strdisplaywidth(suffix) - vim.fn.strdisplaywidth(first)
        if pad > 0 then
          table.insert(chunks, { string.rep(' ', pad), 'Normal' })
        end
      end
    end
    opts.virt_text = chunks
    opts.virt_text_pos = 'overlay'
  end
  if #lines > 1 then
    local vl = {}
    for i = 2, #lines do
      local chunk = { { expand_tabs(lines[i]), 'UnderstudyGhost' } }
      if i == #lines and suffix ~= '' and not has_inline then
        table.insert(chunk, { suffix, 'Normal' })
      end
      table.insert(vl, chunk)
    end
    opts.virt_lines = vl
  end
  s.mark = vim.api.nvim_buf_set_extmark(bufnr, ns, s.row, s.col, opts)
  s.tick = vim.api.nvim_buf_get_changedtick(bufnr)
end

-- Byte column of an LSP position on a buffer line, for the client's position encoding.
local function byte_col(bufnr, pos, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, pos.line, pos.line + 1, false)[1] or ''
  if encoding == 'utf-8' then
    return math.min(pos.character, #line)
  end
  local ok, col = pcall(vim.str_byteindex, line, pos.character, encoding ~= 'utf-32')
  if not ok then
    return #line
  end
  return col
end

local function item_text(item)
  local t = item.insertText
  if type(t) == 'table' then
    -- StringValue snippet: keep placeholders' default text, drop tab stops.
    t = (t.value or ''):gsub('%${%d+:([^}]*)}', '%1'):gsub('%$%d+', ''):gsub('%${%d+}', '')
  end
  return type(t) == 'string' and t or nil
end

-- Choose the first item consistent with the text before the cursor and show it.
local function show(bufnr, s, client, items, row, col)
  for _, item in ipairs(items) do
    local text = item_text(item)
    local start_col, end_col = col, col
    if text and item.range then
      local r = item.range
      if r.start.line == row and r['end'].line == row then
        start_col = byte_col(bufnr, r.start, client.offset_encoding)
        end_col = math.max(col, byte_col(bufnr, r['end'], client.offset_encoding))
      end
    end
    if text and start_col <= col then
      local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
      local typed = line:sub(start_col + 1, col)
      if text:sub(1, #typed) == typed and #text > #typed then
        s.item = item
        s.client = client
        s.ghost = text:sub(#typed + 1)
        s.row, s.col = row, col
        s.replace_end = end_col
        render(bufnr, s)
        return true
      end
    end
  end
  return false
end

-- Ask the server for a suggestion at the cursor. manual = true: invoked by the user (shown even
-- outside insert mode, which tests and :lua users rely on).
function M.request(bufnr, manual)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = us().get_client(bufnr)
  if not client then
    return false
  end
  local s = st(bufnr)
  cancel_request(s)
  s.seq = s.seq + 1
  local seq = s.seq
  local win = vim.api.nvim_get_current_win()
  local cursor = vim.api.nvim_win_get_cursor(win)
  local row, col = cursor[1] - 1, cursor[2]
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local params = vim.lsp.util.make_position_params(win, client.offset_encoding)
  params.context = { triggerKind = manual and 1 or 2 }
  local ok, id = us().call(client, 'request', 'textDocument/inlineCompletion', params, function(err, result)
    if s.seq ~= seq then
      return
    end
    s.request = nil
    if err or type(result) ~= 'table' then
      return
    end
    if not vim.api.nvim_buf_is_valid(bufnr) or vim.api.nvim_get_current_buf() ~= bufnr
        or vim.api.nvim_buf_get_changedtick(bufnr) ~= tick then
      return
    end
    local now = vim.api.nvim_win_get_cursor(0)
    if now[1] - 1 ~= row or now[2] ~= col then
      return
    end
    if not manual and vim.fn.mode():sub(1, 1) ~= 'i' then
      return
    end
    local items = result.items or result
    if type(items) == 'table' then
      show(bufnr, s, client, items, row, col)
    end
  end, bufnr)
  if ok then
    s.request = { client = client, id = id }
  end
  return ok
end

-- Insert `piece` (a prefix of the ghost) at the cursor; the rest stays on screen.
local function insert(bufnr, s, piece, full)
  local row, col = s.row, s.col
  local lines = vim.split(piece, '\n', true)
  local end_col = full and s.replace_end or col
  vim.api.nvim_buf_set_text(bufnr, row, col, row, end_col, lines)
  local new_row = row + #lines - 1
  local new_col = (#lines == 1) and (col + #lines[1]) or #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { new_row + 1, new_col })
  s.own_tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local rest = s.ghost:sub(#piece + 1)
  if full or rest == '' then
    local item, client = s.item, s.client
    M.clear(bufnr)
    -- LSP 3.18: the client runs an inline item's command after the item is accepted.
    if item and item.command and client then
      us().call(client, 'request', 'workspace/executeCommand',
        { command = item.command.command, arguments = item.command.arguments }, function() end, bufnr)
    end
  else
    s.ghost = rest
    s.row, s.col = new_row, new_col
    s.replace_end = math.max(s.replace_end - end_col + new_col, new_col)
    render(bufnr, s)
  end
end

-- Insert the whole suggestion. Returns false when there is none.
function M.accept(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local s = state[bufnr]
  if not M.visible(bufnr) then
    return false
  end
  insert(bufnr, s, s.ghost, true)
  return true
end

-- Insert the next word of the suggestion (with the blanks before it).
function M.accept_word(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local s = state[bufnr]
  if not M.visible(bufnr) then
    return false
  end
  local piece = s.ghost:match('^%s*[%w_]+') or s.ghost:match('^%s*[^%w_%s]+') or s.ghost:match('^%s+')
  insert(bufnr, s, piece, piece == s.ghost)
  return true
end

-- Insert up to the end of the suggestion's current line (or its next line after a line break).
function M.accept_line(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local s = state[bufnr]
  if not M.visible(bufnr) then
    return false
  end
  local piece = s.ghost:match('^\n?[^\n]*')
  insert(bufnr, s, piece, piece == s.ghost)
  return true
end

function M.dismiss(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local was = M.visible(bufnr)
  local s = state[bufnr]
  if s then
    cancel_request(s)
    s.seq = s.seq + 1
  end
  M.clear(bufnr)
  return was
end

-- Text changed in insert mode: keep the ghost when the user typed its next characters, otherwise
-- drop it and ask again after the debounce.
local function on_text_changed(bufnr)
  local s = st(bufnr)
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  if s.own_tick == tick then
    return
  end
  if M.visible(bufnr) then
    local cur = vim.api.nvim_win_get_cursor(0)
    local line = vim.api.nvim_buf_get_lines(bufnr, cur[1] - 1, cur[1], false)[1] or ''
    if cur[1] - 1 == s.row and cur[2] > s.col then
      local typed = line:sub(s.col + 1, cur[2])
      if s.ghost:sub(1, #typed) == typed and #s.ghost > #typed then
        s.ghost = s.ghost:sub(#typed + 1)
        s.replace_end = math.max(s.replace_end + #typed, cur[2])
        s.col = cur[2]
        render(bufnr, s)
        return
      end
    end
  end
  M.dismiss(bufnr)
  M.schedule(bufnr)
end

-- Ask for a suggestion once the user pauses typing.
function M.schedule(bufnr)
  local s = st(bufnr)
  if not s.timer then
    s.timer = vim.loop.new_timer()
  end
  s.timer:stop()
  s.timer:start(us().config.debounce_ms or 120, 0, vim.schedule_wrap(function()
    if vim.api.nvim_buf_is_valid(bufnr) and vim.api.nvim_get_current_buf() == bufnr
        and vim.fn.mode():sub(1, 1) == 'i' then
      M.request(bufnr, false)
    end
  end))
end

local function map_keys(bufnr)
  local keys = us().config.keys or {}
  local function map(lhs, fn_name)
    if not lhs then
      return
    end
    vim.keymap.set('i', lhs, function()
      if M.visible(bufnr) then
        return '<Cmd>lua require("understudy.ghost").' .. fn_name .. '()<CR>'
      end
      return lhs
    end, { buffer = bufnr, expr = true, noremap = true, desc = 'understudy ' .. fn_name })
  end
  map(keys.accept, 'accept')
  map(keys.accept_word, 'accept_word')
  map(keys.accept_line, 'accept_line')
  map(keys.dismiss, 'dismiss')
  if keys.trigger then
    vim.keymap.set('i', keys.trigger, function()
      M.request(bufnr, true)
    end, { buffer = bufnr, desc = 'understudy: ask for a suggestion' })
  end
end

-- Vim's popup menu inserts a completion's line breaks as NUL bytes (shown as ^@, written to
-- the file by :w). After an item with line breaks is inserted, replace what was inserted with
-- the item's real lines (the text the server sent, indentation as sent). `at` is the cursor
-- when CompleteDone fired ({row, col}, 0-based), where the inserted text ends: this runs on
-- the next tick, when the key that ended completion has been handled. That is also the case
-- with a single match, which Vim inserts at once with no menu: the user then leaves insert
-- mode (<Esc> moves the cursor back one column) or types on.
function M.complete_done(bufnr, item, at)
  local word = type(item) == 'table' and item.word or nil
  local ud = type(item) == 'table' and item.user_data
  local ci = type(ud) == 'table' and type(ud.nvim) == 'table' and type(ud.nvim.lsp) == 'table'
      and ud.nvim.lsp.completion_item or {}
  local full = type(ci.textEdit) == 'table' and ci.textEdit.newText or ci.insertText or word
  if type(word) ~= 'string' or type(full) ~= 'string' or not full:find('\n', 1, true)
      or ci.insertTextFormat == 2 or full:sub(1, #word) ~= word then
    return false
  end
  local cur = vim.api.nvim_win_get_cursor(0)
  local row, col = cur[1] - 1, cur[2]
  if type(at) == 'table' then
    row, col = at[1], at[2]
  end
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  -- What was inserted ends at `at`: the text with NUL bytes for its line breaks.
  local start = col - #word
  local inserted = line:sub(start + 1, col)
  if start < 0 or (inserted ~= word:gsub('\n', '\0') and inserted ~= word) then
    return false
  end
  local lines = vim.split(full, '\n', true)
  vim.api.nvim_buf_set_text(bufnr, row, start, row, col, lines)
  -- The cursor keeps its place relative to the end of the inserted text.
  local end_row, end_col = row + #lines - 1, #lines[#lines] + ((#lines == 1) and start or 0)
  if cur[1] - 1 == row then
    vim.api.nvim_win_set_cursor(0, { end_row + 1, math.max(0, end_col + cur[2] - col) })
  elseif cur[1] - 1 > row then
    vim.api.nvim_win_set_cursor(0, { cur[1] + #lines - 1, cur[2] })
  end
  return true
end

-- Watch insert-mode edits in bufnr (idempotent).
function M.attach(bufnr)
  local s = st(bufnr)
  if s.attached then
    return
  end
  s.attached = true
  local group = vim.api.nvim_create_augroup('understudy_ghost_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'TextChangedI', 'TextChangedP' }, {
    group = group, buffer = bufnr, callback = function() on_text_changed(bufnr) end,
  })
  vim.api.nvim_create_autocmd('CursorMovedI', {
    group = group, buffer = bufnr, callback = function()
      -- Typing moves the cursor too; TextChangedI (which runs after this) handles edits.
      local cur = vim.api.nvim_win_get_cursor(0)
      if M.visible(bufnr) and vim.api.nvim_buf_get_changedtick(bufnr) == s.tick
          and (cur[1] - 1 ~= s.row or cur[2] ~= s.col) then
        M.dismiss(bufnr)
      end
    end,
  })
  -- The popup menu opens: hide the ghost (it would be drawn over the menu's items).
  vim.api.nvim_create_autocmd('CompleteChanged', {
    group = group, buffer = bufnr, callback = function()
      if s.ghost and not s.hidden then
        vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
        s.hidden = true
      end
    end,
  })
  vim.api.nvim_create_autocmd('CompleteDone', {
    group = group, buffer = bufnr, callback = function()
      local item = vim.v.completed_item
      -- Where the inserted text ends, before the key that ended completion moves the cursor.
      local cur = vim.api.nvim_win_get_cursor(0)
      local at = { cur[1] - 1, cur[2] }
      -- Completion ended, with or without a menu (text may not change inside CompleteDone:
      -- the next tick does it).
      vim.schedule(function()
        if not vim.api.nvim_buf_is_valid(bufnr) or vim.api.nvim_get_current_buf() ~= bufnr then
          return
        end
        M.complete_done(bufnr, item, at)
        -- Show the held suggestion again if nothing was inserted, else ask anew.
        if not s.hidden or vim.fn.pumvisible() == 1 then
          return
        end
        local cur = vim.api.nvim_win_get_cursor(0)
        if s.ghost and vim.api.nvim_buf_get_changedtick(bufnr) == s.tick
            and cur[1] - 1 == s.row and cur[2] == s.col then
          render(bufnr, s)
        else
          M.dismiss(bufnr)
          if vim.fn.mode():sub(1, 1) == 'i' then
            M.schedule(bufnr)
          end
        end
      end)
    end,
  })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
    group = group, buffer = bufnr, callback = function() M.dismiss(bufnr) end,
  })
  vim.api.nvim_create_autocmd('BufWipeout', {
    group = group, buffer = bufnr, callback = function()
      if s.timer then
        s.timer:stop()
        s.timer:close()
      end
      state[bufnr] = nil
    end,
  })
  map_keys(bufnr)
end

return M

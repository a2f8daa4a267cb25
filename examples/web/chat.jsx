// The chat page of examples/chat_service.py: the ai package's own chat client
// (useChat from @ai-sdk/react with DefaultChatTransport) against the service's
// routes. Built by `python3 tasks.py web` (esbuild) into dist/chat.js.
//
// - the chat id lives in the URL (?chat=...), its messages in localStorage, so a
//   reload shows the conversation and resumes an answer still being produced
//   (resume: true -> GET /api/chat/{id}/stream; 204 when there is none);
// - Stop asks the server to stop the answer (POST /api/chat/{id}/stop: it runs
//   on without the browser otherwise) and stops reading (chat.stop());
// - text streams in, reasoning is folded, tool calls and sources are shown,
//   errors are shown with a retry.
import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport } from 'ai';
import { useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import './chat.css';

const MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-3-pro-preview'];
const SETTINGS_KEY = 'partstream-chat:settings';

function newId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

function chatIdFromUrl() {
  const url = new URL(location.href);
  let id = url.searchParams.get('chat');
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    id = newId();
    url.searchParams.set('chat', id);
    history.replaceState(null, '', url);
  }
  return id;
}

const messagesKey = id => `partstream-chat:${id}`;
const pendingKey = id => `partstream-chat:${id}:pending`;

function load(key, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(key) ?? 'null');
    return value ?? fallback;
  } catch {
    return fallback;
  }
}

function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the chat still works, it just won't survive a reload
  }
}

function Reasoning({ part }) {
  return (
    <details className="reasoning" data-testid="part-reasoning">
      <summary>{part.state === 'streaming' ? 'Thinking…' : 'Reasoning'}</summary>
      <div className="reasoning-text">{part.text}</div>
    </details>
  );
}

function toolName(part) {
  return part.type === 'dynamic-tool' ? part.toolName : part.type.slice('tool-'.length);
}

const TOOL_STATES = {
  'input-streaming': 'preparing',
  'input-available': 'running',
  'approval-requested': 'awaiting approval',
  'approval-responded': 'approved',
  'output-available': 'done',
  'output-error': 'failed',
  'output-denied': 'denied',
};

function Tool({ part }) {
  const json = value => (value === undefined ? '' : JSON.stringify(value, null, 2));
  return (
    <details className={`tool tool-${part.state}`} data-testid="part-tool">
      <summary>
        <span className="tool-name">{toolName(part)}</span>
        <span className="tool-state">{TOOL_STATES[part.state] ?? part.state}</span>
      </summary>
      {part.input !== undefined && <pre className="tool-input">{json(part.input)}</pre>}
      {part.state === 'output-available' && <pre className="tool-output">{json(part.output)}</pre>}
      {part.state === 'output-error' && <pre className="tool-error">{part.errorText}</pre>}
    </details>
  );
}

function Sources({ parts }) {
  if (parts.length === 0) return null;
  return (
    <div className="sources" data-testid="sources">
      <span className="sources-label">Sources</span>
      <ol>
        {parts.map(part => (
          <li key={part.sourceId} data-testid="source">
            {part.type === 'source-url' ? (
              <a href={part.url} target="_blank" rel="noreferrer noopener">
                {part.title || new URL(part.url).hostname}
              </a>
            ) : (
              <span>{part.title}</span>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}

function Part({ part }) {
  switch (part.type) {
    case 'text':
      return (
        <div className="text" data-testid="part-text">
          {part.text}
        </div>
      );
    case 'reasoning':
      return part.text ? <Reasoning part={part} /> : null;
    case 'file':
      return part.mediaType?.startsWith('image/') ? (
        <img className="file" src={part.url} alt={part.filename ?? 'generated image'} />
      ) : (
        <a className="file" href={part.url} download={part.filename}>
          {part.filename ?? part.mediaType}
        </a>
      );
    case 'step-start':
    case 'source-url':
    case 'source-document':
      return null;
    default:
      if (part.type === 'dynamic-tool' || part.type.startsWith('tool-')) return <Tool part={part} />;
      return null;
  }
}

function Message({ message, streaming }) {
  const sources = message.parts.filter(p => p.type === 'source-url' || p.type === 'source-document');
  const empty = !message.parts.some(p => p.type === 'text' && p.text);
  return (
    <article
      className={`message ${message.role}`}
      data-testid={`message-${message.role}`}
      data-message-id={message.id}
    >
      {message.parts.map((part, index) => (
        <Part key={index} part={part} />
      ))}
      {streaming && empty && <div className="typing" aria-label="answering" />}
      <Sources parts={sources} />
    </article>
  );
}

function Chat({ id }) {
  const [settings, setSettings] = useState(() =>
    load(SETTINGS_KEY, { model: MODELS[0], background: false, search: false }),
  );
  const [input, setInput] = useState('');
  const initial = useMemo(() => load(messagesKey(id), []), [id]);
  const transport = useMemo(() => {
    // An answer this page held half done when it was reloaded: ask for it by id, so
    // that it comes whole even if it ended meanwhile (without ?message= the service
    // answers only an active one, else 204).
    const pending = load(pendingKey(id), null);
    return new DefaultChatTransport({
      api: '/api/chat',
      prepareReconnectToStreamRequest: ({ id: chat }) => ({
        api:
          `/api/chat/${encodeURIComponent(chat)}/stream` +
          (pending ? `?message=${encodeURIComponent(pending)}` : ''),
      }),
    });
  }, [id]);
  const { messages, sendMessage, status, stop, error, regenerate, clearError } = useChat({
    id,
    messages: initial,
    transport,
    resume: true, // on load: GET /api/chat/{id}/stream (204: nothing to resume)
    throttle: 50,
  });
  const bottom = useRef(null);
  const busy = status === 'submitted' || status === 'streaming';

  // Effects return nothing: in newer browsers scrollIntoView returns a promise.
  useEffect(() => {
    save(messagesKey(id), messages);
  }, [id, messages]);
  useEffect(() => {
    const last = messages.at(-1);
    save(pendingKey(id), busy && last?.role === 'assistant' ? last.id : null);
  }, [id, messages, busy]);
  useEffect(() => {
    save(SETTINGS_KEY, settings);
  }, [settings]);
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'end' });
  }, [messages, status]);

  const submit = event => {
    event.preventDefault();
    const text = input.trim();
    if (!text || busy) return;
    setInput('');
    sendMessage({ text }, { body: settings });
  };

  const stopAnswer = async () => {
    // The answer runs on the server without the browser: ask it to stop, then stop reading.
    try {
      await fetch(`/api/chat/${encodeURIComponent(id)}/stop`, { method: 'POST' });
    } finally {
      await stop();
    }
  };

  const last = messages.at(-1);
  return (
    <div className="chat">
      <header>
        <h1>partstream chat</h1>
        <div className="settings">
          <select
            aria-label="model"
            value={settings.model}
            onChange={e => setSettings({ ...settings, model: e.target.value })}
          >
            {MODELS.map(model => (
              <option key={model}>{model}</option>
            ))}
          </select>
          <label>
            <input
              type="checkbox"
              checked={settings.search}
              onChange={e => setSettings({ ...settings, search: e.target.checked })}
            />
            search
          </label>
          <label title="run as a background interaction (it survives the server)">
            <input
              type="checkbox"
              data-testid="background"
              checked={settings.background}
              onChange={e => setSettings({ ...settings, background: e.target.checked })}
            />
            background
          </label>
          <a className="new-chat" href="?" title="a new chat">
            new
          </a>
        </div>
      </header>
      <main data-testid="messages" data-status={status}>
        {messages.length === 0 && <p className="hint">Ask anything.</p>}
        {messages.map(message => (
          <Message
            key={message.id}
            message={message}
            streaming={busy && message === last && message.role === 'assistant'}
          />
        ))}
        {status === 'submitted' && last?.role !== 'assistant' && (
          <article className="message assistant pending">
            <div className="typing" aria-label="waiting for the answer" />
          </article>
        )}
        {error && (
          <div className="error" role="alert" data-testid="error">
            <span>{error.message || 'Something went wrong.'}</span>
            <button
              type="button"
              onClick={() => {
                clearError();
                regenerate({ body: settings });
              }}
            >
              Retry
            </button>
          </div>
        )}
        <div ref={bottom} />
      </main>
      <form className="composer" onSubmit={submit}>
        <textarea
          data-testid="input"
          aria-label="message"
          rows={1}
          value={input}
          placeholder="Message"
          onChange={e => setInput(e.target.value)}
          onKeyDown={e => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
          }}
        />
        {busy ? (
          <button type="button" className="stop" data-testid="stop" onClick={stopAnswer}>
            Stop
          </button>
        ) : (
          <button type="submit" data-testid="send" disabled={!input.trim()}>
            Send
          </button>
        )}
      </form>
    </div>
  );
}

createRoot(document.getElementById('root')).render(<Chat id={chatIdFromUrl()} />);

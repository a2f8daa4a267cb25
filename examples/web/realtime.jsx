// The realtime page of examples/chat_service.py: a text conversation with an AI
// Gateway realtime model through the ai package's own browser realtime session
// (experimental_useRealtime from @ai-sdk/react). The browser never holds the
// Gateway key: it asks the service for a short-lived client secret
// (api.token -> POST /api/realtime/token -> {token, url}) and opens the Gateway's
// WebSocket itself with it (the `ai-gateway-auth.<token>` subprotocol), the
// connection the reference recommends for browsers. Events are the normalized
// realtime protocol (session-update, conversation-item-create, response-create,
// text-delta, response-done, ...).
import { experimental_useRealtime as useRealtime } from '@ai-sdk/react';
import { gateway } from '@ai-sdk/gateway';
import { useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import './chat.css';

const MODEL = new URL(location.href).searchParams.get('model') ?? 'openai/gpt-realtime';
// Constants: useRealtime makes a new session whenever its options change identity.
const SESSION_CONFIG = { outputModalities: ['text'] };
const API = { token: `/api/realtime/token?model=${encodeURIComponent(MODEL)}` };

function text(message) {
  return message.parts
    .filter(part => part.type === 'text')
    .map(part => part.text)
    .join('');
}

function Realtime() {
  const model = useMemo(() => gateway.experimental_realtime(MODEL), []);
  const [input, setInput] = useState('');
  const [error, setError] = useState(null);
  const session = useRealtime({
    model,
    api: API,
    sessionConfig: SESSION_CONFIG,
    onError: setError,
  });
  const connected = session.status === 'connected';

  const submit = event => {
    event.preventDefault();
    const value = input.trim();
    if (!value || !connected) return;
    setInput('');
    session.sendTextMessage(value);
  };

  return (
    <div className="chat realtime">
      <header>
        <h1>partstream realtime</h1>
        <div className="settings">
          <span data-testid="realtime-status">{session.status}</span>
          {connected ? (
            <button type="button" onClick={() => session.disconnect()}>
              Disconnect
            </button>
          ) : (
            <button
              type="button"
              data-testid="connect"
              onClick={() => {
                setError(null);
                session.connect({ capture: false });
              }}
            >
              Connect
            </button>
          )}
        </div>
      </header>
      <main data-testid="messages" data-last-event={session.events.at(-1)?.type ?? ''}>
        <p className="hint">{MODEL}: type, and the answer streams back as text.</p>
        {session.messages.map(message => (
          <article
            key={message.id}
            className={`message ${message.role}`}
            data-testid={`message-${message.role}`}
          >
            <div className="text">{text(message)}</div>
          </article>
        ))}
        {error && (
          <div className="error" role="alert" data-testid="error">
            {error.message}
          </div>
        )}
      </main>
      <form className="composer" onSubmit={submit}>
        <textarea
          data-testid="input"
          aria-label="message"
          rows={1}
          value={input}
          placeholder={connected ? 'Message' : 'Connect first'}
          onChange={e => setInput(e.target.value)}
          onKeyDown={e => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
        />
        <button type="submit" data-testid="send" disabled={!connected || !input.trim()}>
          Send
        </button>
      </form>
    </div>
  );
}

createRoot(document.getElementById('root')).render(<Realtime />);

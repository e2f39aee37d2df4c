// The server's event stream (GET /api/v1/events, text/event-stream): one EventSource
// that comes back after the server closed or refused it, waiting longer each time
// (1 s doubling to 30 s), so a page shows live values without polling.
import { useState, useEffect, useRef } from './html.js';

const MIN_DELAY = 1000;
const MAX_DELAY = 30000;

// types: the named events to hear besides "message"; onEvent(type, data) gets the data
// parsed as JSON where it is JSON; onState('open' | 'retrying'), 'retrying' only once
// the stream has been away for grace ms, so a short gap does not flicker on screen;
// onOpen() each time the stream (re)opens, since what happened while it was away (or
// before it first opened) is not sent again: that is the moment to read state afresh.
export function openEvents({ types = [], onEvent, onState, onOpen, grace = 5000 } = {}) {
	let es = null;
	let timer = 0;
	let graceTimer = 0;
	let delay = MIN_DELAY;
	let closed = false;

	const away = () => {
		if (graceTimer || !onState) return;
		graceTimer = setTimeout(() => {
			graceTimer = 0;
			if (!closed && (!es || es.readyState !== EventSource.OPEN)) onState('retrying');
		}, grace);
	};

	const deliver = (e) => {
		let data = e.data;
		try {
			data = JSON.parse(e.data);
		} catch {
			// not JSON: the text as sent
		}
		if (onEvent) onEvent(e.type, data, e.lastEventId);
	};

	function connect() {
		timer = 0;
		es = new EventSource('/api/v1/events');
		es.onopen = () => {
			delay = MIN_DELAY;
			clearTimeout(graceTimer);
			graceTimer = 0;
			if (onState) onState('open');
			if (onOpen) onOpen();
		};
		es.onmessage = deliver;
		for (const type of types) es.addEventListener(type, deliver);
		es.onerror = () => {
			if (closed) return;
			away();
			// The browser retries a dropped stream itself; one that was refused (an HTTP
			// error, a wrong type) it closes, and then it is ours to try again.
			if (es.readyState === EventSource.CLOSED && !timer) {
				timer = setTimeout(connect, delay);
				delay = Math.min(delay * 2, MAX_DELAY);
			}
		};
	}

	connect();
	return {
		close() {
			closed = true;
			clearTimeout(timer);
			clearTimeout(graceTimer);
			if (es) es.close();
		},
	};
}

// The stream for as long as a component is on screen: onEvent(type, data) for the named
// types (others are ignored), onOpen() each time it (re)opens; the answer is the
// stream's state, '' until it first opens.
export function useEvents(types, onEvent, onOpen) {
	const [state, setState] = useState('');
	const handler = useRef(onEvent);
	const opened = useRef(onOpen);
	handler.current = onEvent;
	opened.current = onOpen;
	useEffect(() => {
		const events = openEvents({
			types,
			onState: setState,
			onOpen: () => {
				if (opened.current) opened.current();
			},
			onEvent: (type, data) => {
				if (types.includes(type) && data && typeof data === 'object') handler.current(type, data);
			},
		});
		return () => events.close();
	}, []);
	return state;
}

// The view library in one import: Preact, its hooks, and htm's tagged templates bound
// to Preact's h, so components are plain modules without a build step.
import { h, render, Fragment, createContext } from '../vendor/preact/preact.mjs';
import {
	useState, useEffect, useLayoutEffect, useRef, useMemo, useCallback, useContext, useId,
} from '../vendor/preact/hooks.mjs';
import htm from '../vendor/htm/htm.mjs';

export const html = htm.bind(h);
export {
	h, render, Fragment, createContext,
	useState, useEffect, useLayoutEffect, useRef, useMemo, useCallback, useContext, useId,
};

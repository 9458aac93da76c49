// Small shared pieces: loading and error states, a data loader, debouncing.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get } from './api';
import { t } from './i18n';

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function Card({ title, children, id }: { title?: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" id={id}>
      {title && <h2>{title}</h2>}
      {children}
    </section>
  );
}

// Loads `load()` when `deps` change; stale answers are dropped.
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (error) => !controller.signal.aborted && !isAbort(error) && setState({ error, loading: false }),
    );
    return () => controller.abort();
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export function Loading() {
  return <p class="muted">{t('common.loading')}</p>;
}

export function fieldError(e: unknown): string | undefined {
  return e instanceof ApiError ? e.field : undefined;
}

// The consent purposes to choose from (Settings describes them): key and title,
// and whether retired (not offered for new grants or campaigns). Without
// read_reports (or before they load) only the default, marketing.
export interface PurposeChoice {
  name: string;
  label: string;
  retired: boolean;
}
export function usePurposeChoices(enabled: boolean): PurposeChoice[] {
  const loaded = useLoad(
    (s) =>
      enabled
        ? get<{ definitions: { name: string; title: string; retired_at: string | null }[] }>('/api/v1/consent-purposes', s)
        : Promise.resolve({ definitions: [] }),
    [enabled],
  );
  const list = (loaded.data?.definitions ?? []).map((d) => ({
    name: d.name,
    label: d.title ? `${d.title} (${d.name})` : d.name,
    retired: !!d.retired_at,
  }));
  if (!list.some((p) => p.name === 'marketing')) list.unshift({ name: 'marketing', label: 'marketing', retired: false });
  return list;
}

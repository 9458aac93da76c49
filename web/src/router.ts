// A hash router: #/customers/42 -> ['customers', '42']. Hash routes need no
// server configuration and survive a reload.
import { useEffect, useState } from 'preact/hooks';

function current(): string[] {
  return location.hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
}

export function useRoute(): string[] {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function go(path: string): void {
  location.hash = '#/' + path.replace(/^\/+/, '');
}

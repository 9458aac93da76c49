import { render } from 'preact';
import { App } from './app';
import { applyDocument } from './i18n';
import './style.css';

applyDocument();
render(<App />, document.getElementById('app')!);

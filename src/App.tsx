/** The page: prompt, streaming result(s) with statistics, settings, history, and GPU diagnostics. */
import { useEffect } from 'react';
import { Banners } from './components/Banners';
import { About } from './components/About';
import { Diagnostics } from './components/Diagnostics';
import { HistoryGallery } from './components/HistoryGallery';
import { LoadProgress } from './components/LoadProgress';
import { PromptForm } from './components/PromptForm';
import { Runs } from './components/Runs';
import { SettingsPanel } from './components/SettingsPanel';
import { getEngine } from './engineHost';
import { cancel } from './generation';
import { useHawk } from './store';

export function App() {
  const status = useHawk((s) => s.status);
  const error = useHawk((s) => s.error);

  useEffect(() => {
    getEngine(); // start the worker (and probe the backend) as soon as the page shows
    // Escape cancels from anywhere on the page, not only from the prompt box.
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && useHawk.getState().busy) void cancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <main className="app">
      <header>
        <h1>Hawk</h1>
        <p className="tagline">Text to image on your GPU, sped up by spatially aware speculative decoding.</p>
      </header>
      <Banners />
      <PromptForm />
      {error && <p role="alert" className="error">{error}</p>}
      <LoadProgress />
      <p className="status" data-testid="status" aria-live="polite">{status}</p>
      <Runs />
      <SettingsPanel />
      <HistoryGallery />
      <Diagnostics />
      <About />
    </main>
  );
}

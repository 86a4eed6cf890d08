import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { takeTokenFromFragment } from './auth';
import { Layout } from './components/Layout';
import { Alerts } from './pages/Alerts';
import { DeploymentPage, Deployments } from './pages/Deployments';
import { ModelPage } from './pages/ModelPage';
import { Models } from './pages/Models';
import { NotFound } from './pages/NotFound';
import { Overview } from './pages/Overview';
import { Thresholds } from './pages/Thresholds';
import { Training, TrainingJobPage } from './pages/Training';
import { WatchdogPage, Watchdogs } from './pages/Watchdogs';
import './styles.css';

takeTokenFromFragment();
// A sign-in link opened in a tab that already shows the console: take it and start afresh.
window.addEventListener('hashchange', () => {
  if (window.location.hash.startsWith('#token=')) {
    takeTokenFromFragment();
    window.location.reload();
  }
});
const queries = new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 1_000 } } });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<Overview />} />
            <Route path="models" element={<Models />} />
            <Route path="models/:id" element={<ModelPage />} />
            <Route path="training" element={<Training />} />
            <Route path="training/:id" element={<TrainingJobPage />} />
            <Route path="deployments" element={<Deployments />} />
            <Route path="deployments/:id" element={<DeploymentPage />} />
            <Route path="watchdogs" element={<Watchdogs />} />
            <Route path="watchdogs/:specialization" element={<WatchdogPage />} />
            <Route path="alerts" element={<Alerts />} />
            <Route path="thresholds" element={<Thresholds />} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);

/** Renders with ink-testing-library at a given terminal width, and measures frames. */
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';

/**
 * ink-testing-library's stdout reports 100 columns, and Ink lays the root out at the stdout's width:
 * the test sets the width it checks on that stdout and draws again, so Ink measures as a terminal would.
 */
export const renderAt = (columns: number, element: ReactElement) => {
  const view = render(element);
  Object.defineProperty(view.stdout, 'columns', { value: columns, configurable: true });
  view.rerender(element);
  return { ...view, frame: () => view.lastFrame() ?? '' };
};

export const lines = (frame: string): string[] => frame.split('\n');

/** Display width of the widest line (the dashboard draws no double-width characters of its own). */
export const widest = (frame: string): number => Math.max(0, ...lines(frame).map((line) => Array.from(line).length));

export const tick = () => new Promise((resolve) => setTimeout(resolve, 30));

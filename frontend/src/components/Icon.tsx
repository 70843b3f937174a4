/** A handful of stroke icons as inline SVG: they render the same on every phone, emoji font or not. */

const PATHS: Record<string, string> = {
  clock: "M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z",
  lock: "M7 11V8a5 5 0 0 1 10 0v3M6 11h12v9H6z",
  alert: "M12 9v4m0 3.5v.5M10.3 4.2 2.6 17.5A2 2 0 0 0 4.3 20.5h15.4a2 2 0 0 0 1.7-3L13.7 4.2a2 2 0 0 0-3.4 0Z",
  wave: "M5 12h14M13 6l6 6-6 6",
  search: "m20 20-4.5-4.5M17 10.5a6.5 6.5 0 1 1-13 0 6.5 6.5 0 0 1 13 0Z",
  key: "M14.5 9.5a4 4 0 1 1-1.2-2.8M13.3 12.3 20 19m-3-3 2-2",
  offline: "M3 3l18 18M8.5 16.5a5 5 0 0 1 7 0M5 12.9a10 10 0 0 1 4-2.4m5.6-.2A10 10 0 0 1 19 12.9M2 8.8a15 15 0 0 1 4.5-2.9m4.3-.9A15 15 0 0 1 22 8.8M12 20h.01",
  hourglass: "M7 3h10M7 21h10M8 3c0 5 8 5 8 9s-8 4-8 9m8-18c0 5-8 5-8 9s8 4 8 9",
  stop: "M9 9h6v6H9zM21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z",
  tool: "M14.7 6.3a4 4 0 0 0-5.4 5.4L3 18l3 3 6.3-6.3a4 4 0 0 0 5.4-5.4l-2.5 2.5-2.5-.5-.5-2.5 2.5-2.5Z",
  bell: "M6 16V11a6 6 0 1 1 12 0v5l2 2H4l2-2Zm4 4a2 2 0 0 0 4 0",
  zoomIn: "M11 8v6M8 11h6m6 9-4.5-4.5M17 11a6 6 0 1 1-12 0 6 6 0 0 1 12 0Z",
  zoomOut: "M8 11h6m6 9-4.5-4.5M17 11a6 6 0 1 1-12 0 6 6 0 0 1 12 0Z",
};

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 24, className }: { name: IconName; size?: number; className?: string }) {
  return (
    <svg
      className={className}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}

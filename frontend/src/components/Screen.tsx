import { useEffect, useRef, useState, type MouseEvent } from "react";

import { pageToPercent, tapToPage, type PagePoint, type Viewport } from "../lib/mapping";
import { Icon } from "./Icon";

export interface Tap {
  point: PagePoint;
  seq: number | null;
}

/** Shows the newest image; swaps only once the next one has loaded, so the screen never flashes blank. */
function useLoadedSrc(src: string | null): string | null {
  const [shown, setShown] = useState<string | null>(null);
  useEffect(() => {
    if (!src) return;
    let current = true;
    const image = new Image();
    image.onload = () => current && setShown(src);
    image.onerror = () => current && setShown((previous) => previous ?? src);
    image.src = src;
    return () => {
      current = false;
    };
  }, [src]);
  return shown;
}

export function Screen({
  src,
  frameSeq,
  viewport,
  interactive,
  pending,
  tap,
  onTap,
}: {
  src: string | null;
  frameSeq: number | null;
  viewport: Viewport | null;
  interactive: boolean;
  pending: boolean;
  tap: Tap | null;
  onTap: (point: PagePoint) => void;
}) {
  const shown = useLoadedSrc(src);
  const image = useRef<HTMLImageElement>(null);
  const [size, setSize] = useState({ naturalWidth: 0, naturalHeight: 0 });
  const [zoomed, setZoomed] = useState(false);

  const handleClick = (event: MouseEvent<HTMLImageElement>) => {
    const element = image.current;
    if (!interactive || !viewport || !element) return;
    const point = tapToPage(event.clientX, event.clientY, element.getBoundingClientRect(), viewport, {
      naturalWidth: element.naturalWidth,
      naturalHeight: element.naturalHeight,
    });
    if (point) onTap(point);
  };

  const marker = tap && viewport ? pageToPercent(tap.point, viewport, size) : null;

  return (
    <section
      className={`screen${interactive ? " interactive" : ""}`}
      data-testid="screen"
      data-frame-seq={frameSeq ?? ""}
      data-src={shown ?? ""}
      aria-busy={pending}
    >
      <div className="screen-scroll">
        <div className="screen-canvas" style={{ width: zoomed ? "200%" : "100%" }}>
          {shown ? (
            <img
              ref={image}
              src={shown}
              alt="The agent's screen"
              data-testid="screen-image"
              draggable={false}
              onLoad={(event) =>
                setSize({
                  naturalWidth: event.currentTarget.naturalWidth,
                  naturalHeight: event.currentTarget.naturalHeight,
                })
              }
              onClick={handleClick}
            />
          ) : (
            <div className="screen-placeholder">{src ? "Loading the agent's screen…" : "No picture of the screen"}</div>
          )}
          {marker ? (
            <span
              className={`tap-marker${pending ? " pending" : ""}`}
              data-testid="tap-marker"
              style={{ left: `${marker.left}%`, top: `${marker.top}%` }}
            />
          ) : null}
        </div>
      </div>
      {shown ? (
        <button
          type="button"
          className="zoom"
          data-testid="zoom"
          aria-pressed={zoomed}
          aria-label={zoomed ? "Show the whole screen" : "Zoom in"}
          onClick={() => setZoomed((z) => !z)}
        >
          <Icon name={zoomed ? "zoomOut" : "zoomIn"} size={22} />
        </button>
      ) : null}
      {pending ? (
        <div className="screen-status" data-testid="pending">
          Waiting for the agent's screen…
        </div>
      ) : null}
    </section>
  );
}

import { useEffect, useRef } from "react";

import { burst, draw, step } from "../lib/confetti";

/** Full-screen, click-through confetti that plays once when mounted. */
export function Confetti() {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext("2d");
    if (!element || !context) return;
    const ratio = window.devicePixelRatio || 1;
    const width = window.innerWidth;
    const height = window.innerHeight;
    element.width = width * ratio;
    element.height = height * ratio;
    context.scale(ratio, ratio);
    // A short buzz where the browser allows it (Android; needs an earlier tap on the page).
    if (typeof navigator.vibrate === "function") navigator.vibrate([60, 40, 60]);
    const reduced = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    let particles = burst(reduced ? 60 : 220, width, height);
    if (reduced) {
      particles = particles.map((p) => ({ ...p, x: Math.random() * width, y: Math.random() * height * 0.6 }));
      draw(context, particles);
      return;
    }
    let frame = 0;
    const tick = () => {
      context.clearRect(0, 0, width, height);
      particles = step(particles, height);
      draw(context, particles);
      if (particles.length) frame = window.requestAnimationFrame(tick);
    };
    frame = window.requestAnimationFrame(tick);
    return () => window.cancelAnimationFrame(frame);
  }, []);
  return <canvas ref={canvas} className="confetti" data-testid="confetti" aria-hidden="true" />;
}

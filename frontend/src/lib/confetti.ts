/** A small confetti burst on a canvas: a few hundred rectangles, gravity, drag, a wobble. No library. */

export interface Particle {
  x: number;
  y: number;
  vx: number;
  vy: number;
  size: number;
  angle: number;
  spin: number;
  color: string;
}

const COLORS = ["#22c55e", "#3b82f6", "#f59e0b", "#ef4444", "#a855f7", "#14b8a6", "#f472b6"];

export function burst(count: number, width: number, height: number, random: () => number = Math.random): Particle[] {
  return Array.from({ length: count }, () => {
    const fromLeft = random() < 0.5;
    const speed = 9 + random() * 9;
    const angle = (fromLeft ? -60 : -120) * (Math.PI / 180) + (random() - 0.5) * 0.9;
    return {
      x: fromLeft ? width * 0.1 : width * 0.9,
      y: height * 0.75,
      vx: Math.cos(angle) * speed,
      vy: Math.sin(angle) * speed,
      size: 5 + random() * 6,
      angle: random() * Math.PI,
      spin: (random() - 0.5) * 0.4,
      color: COLORS[Math.floor(random() * COLORS.length)] ?? "#22c55e",
    };
  });
}

/** One 60 Hz step; returns the particles still on screen. */
export function step(particles: Particle[], height: number): Particle[] {
  const alive: Particle[] = [];
  for (const p of particles) {
    p.vx *= 0.985;
    p.vy = p.vy * 0.985 + 0.32;
    p.x += p.vx + Math.sin(p.angle) * 0.6;
    p.y += p.vy;
    p.angle += p.spin;
    if (p.y < height + 20) alive.push(p);
  }
  return alive;
}

export function draw(context: CanvasRenderingContext2D, particles: Particle[]): void {
  for (const p of particles) {
    context.save();
    context.translate(p.x, p.y);
    context.rotate(p.angle);
    context.fillStyle = p.color;
    context.fillRect(-p.size / 2, -p.size / 4, p.size, p.size / 2);
    context.restore();
  }
}

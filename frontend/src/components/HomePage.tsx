import { AlertsButton } from "./AlertsButton";

export function HomePage() {
  return (
    <main className="page home" data-testid="home">
      <div className="failure-card">
        <img className="home-logo" src="/icons/icon-192.png" alt="" width={96} height={96} />
        <h1>Baton Pass</h1>
        <p>When an agent needs a person, its alert opens here. Keep this app on your home screen so alerts reach you.</p>
      </div>
      <div className="dock">
        <AlertsButton />
      </div>
    </main>
  );
}

import { FailurePage } from "./components/FailurePage";
import { HandoffPage } from "./components/HandoffPage";
import { HomePage } from "./components/HomePage";
import { failure } from "./lib/failures";

/** Routes: /m/{handoff_id} is a handoff; /m/ is the installed app's home; anything else is not found. */
export function App() {
  const path = window.location.pathname;
  const match = /^\/m\/(h_[0-9A-HJKMNP-TV-Z]{26})\/?$/i.exec(path);
  if (match?.[1]) return <HandoffPage handoffId={match[1].slice(0, 2) + match[1].slice(2).toUpperCase()} />;
  if (path === "/" || path === "/m" || path === "/m/" || path === "/index.html") return <HomePage />;
  return <FailurePage failure={failure("not-found")} />;
}

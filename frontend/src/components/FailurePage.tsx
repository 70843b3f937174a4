import type { Failure } from "../lib/failures";
import { Icon } from "./Icon";

export function FailurePage({ failure, onRetry }: { failure: Failure; onRetry?: () => void }) {
  return (
    <main className="page failure" data-testid="failure" data-kind={failure.kind}>
      <div className="failure-card" role="alert">
        <div className="failure-icon">
          <Icon name={failure.icon} size={44} />
        </div>
        <h1>{failure.title}</h1>
        <p>{failure.message}</p>
      </div>
      {failure.retry && onRetry ? (
        <div className="dock">
          <button type="button" className="btn primary wide" onClick={onRetry}>
            Try again
          </button>
        </div>
      ) : null}
    </main>
  );
}

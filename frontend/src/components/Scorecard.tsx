import { format, type Card } from "../report";

const STATUS_WORDS: Record<string, string> = {
  green: "as good as the reference",
  amber: "somewhat below the reference",
  red: "well below the reference",
  grey: "not measured",
};

/** One tile per family (fidelity, utility, privacy, fairness), coloured by its verdict. */
export function Scorecard({ cards }: { cards: Card[] }) {
  if (cards.length === 0) return <p>This report has no scorecard.</p>;
  return (
    <ul className="scorecard" aria-label="Scorecard">
      {cards.map((card) => (
        <li key={card.family} className={`tile tile-${card.status}`}>
          <h3>{card.family}</h3>
          <p className="headline">
            {card.headline || `${format(card.value)} (reference ${format(card.reference)})`}
          </p>
          <p className="verdict">
            <span className="dot" aria-hidden="true" /> {card.status}:{" "}
            {STATUS_WORDS[card.status] ?? card.status}
          </p>
          {card.reasons.length > 0 && (
            <ul className="reasons">
              {card.reasons.map((reason) => (
                <li key={reason}>{reason}</li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}

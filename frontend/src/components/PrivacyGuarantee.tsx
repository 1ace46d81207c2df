import { budget, type Guarantee } from "../report";

/** The generator's differential-privacy guarantee, part by part, as in the HTML report;
 * or a plain statement that the generator was trained without one. */
export function PrivacyGuarantee({ guarantee }: { guarantee: Guarantee }) {
  const { generator, ledger } = guarantee;
  const model = generator ? ` (${generator})` : "";
  return (
    <section aria-labelledby="guarantee-title">
      <h2 id="guarantee-title">Privacy guarantee</h2>
      {ledger === null ? (
        <p className="error">
          None. The generator{model} was trained without differential privacy: no formal bound
          limits what the synthetic table can reveal about the people in the training data.
        </p>
      ) : (
        <>
          <p>
            <strong>
              (ε = {budget(ledger.epsilonSpent, 3)}, δ = {budget(ledger.deltaSpent, 2)})-differentially
              private.
            </strong>{" "}
            The generator{model} spent ε = {budget(ledger.epsilonSpent, 3)} of its target{" "}
            {budget(ledger.epsilonTarget, 3)} and δ = {budget(ledger.deltaSpent, 2)} of its target{" "}
            {budget(ledger.deltaTarget, 2)}; accountant: {ledger.accountant}.
          </p>
          <div className="scroll">
            <table>
              <caption>What read the real rows (the parts add up)</caption>
              <thead>
                <tr>
                  <th scope="col">Part</th>
                  <th scope="col">ε</th>
                  <th scope="col">δ</th>
                  <th scope="col">Mechanism</th>
                </tr>
              </thead>
              <tbody>
                {ledger.parts.map((part) => (
                  <tr key={part.name}>
                    <th scope="row">{part.name}</th>
                    <td>{budget(part.epsilon, 3)}</td>
                    <td>{budget(part.delta, 2)}</td>
                    <td className="hint">{part.mechanism}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {ledger.public.length > 0 ? (
            <>
              <p>Used without spending budget (declared or treated as public):</p>
              <ul className="notes">
                {ledger.public.map((item) => (
                  <li key={item}>{item}</li>
                ))}
              </ul>
            </>
          ) : (
            <p>Nothing was used without spending budget.</p>
          )}
        </>
      )}
    </section>
  );
}

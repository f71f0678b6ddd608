export default function ScenarioRunPage() {
  return <section><h1>Scenario run</h1></section>;
}

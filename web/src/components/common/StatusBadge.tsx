/** A run or verdict status as a coloured pill (colour by meaning, text always present). */
export function StatusBadge({ status, testId }: { status: string | null | undefined; testId?: string }) {
  const value = status ?? "unknown";
  return (
    <span className={`status status-${value}`} data-testid={testId} data-status={value}>
      {value}
    </span>
  );
}

import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

export interface ChartPoint {
  label: string;
  [series: string]: number | string | null;
}

/** Series over time against the threshold they are held to (a dashed line). */
export function PerformanceChart({
  title,
  points,
  series,
  threshold,
  domain,
  empty = 'No windows yet.',
}: {
  title: string;
  points: ChartPoint[];
  series: { key: string; name: string; color: string }[];
  threshold?: { value: number; label: string };
  /** The y axis's range where the quantity has one (a rate: 0 to 1); the threshold always shows. */
  domain?: [number, number];
  empty?: string;
}) {
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {points.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : (
        <ResponsiveContainer width="100%" height={200}>
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="label" fontSize={11} />
            <YAxis fontSize={11} domain={domain ?? [0, 'auto']} />
            <Tooltip />
            <Legend />
            {series.map((s) => (
              <Line
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.name}
                stroke={s.color}
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
            {threshold && (
              <ReferenceLine
                y={threshold.value}
                stroke="#b00020"
                strokeDasharray="6 3"
                ifOverflow="extendDomain"
                label={{ value: threshold.label, position: 'insideTopRight', fill: '#b00020', fontSize: 11 }}
              />
            )}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

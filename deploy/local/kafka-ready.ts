// Waits until the broker answers a metadata request; exit 1 on timeout.
// Usage: node --import tsx deploy/local/kafka-ready.ts <host:port> <timeout seconds>
import { Kafka, logLevel } from 'kafkajs';

const [broker = '127.0.0.1:9092', timeoutArg = '90'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const kafka = new Kafka({
  clientId: 'siphon-stack-check',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
});

let lastError = 'no attempt';
while (Date.now() < deadline) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    console.log(
      `[kafka] metadata answered: cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)`,
    );
    process.exit(0);
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
    await admin.disconnect().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
console.error(`[kafka] no metadata from ${broker}: ${lastError}`);
process.exit(1);

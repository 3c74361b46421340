import pg from 'pg';

/**
 * Makes a steady mix of changes in the demo's `inventory` database, like a small shop:
 * new orders, status changes, cancellations (deletes), price and stock updates, new
 * customers. One small transaction per change.
 */
export class InventoryWriter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  changes = 0;

  private constructor(private readonly client: pg.Client) {}

  static async connect(config: pg.ClientConfig): Promise<InventoryWriter> {
    const client = new pg.Client(config);
    await client.connect();
    return new InventoryWriter(client);
  }

  /** Starts writing about `perSecond` changes a second. */
  start(perSecond: number): void {
    this.timer = setInterval(() => {
      // One change at a time: a slow database slows the writer instead of piling up.
      this.running = this.running
        .then(() => this.change())
        .catch((error: Error) => {
          console.error(`[writer] ${error.message}`);
        });
    }, 1000 / perSecond);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.client.end();
  }

  private async change(): Promise<void> {
    const dice = Math.random();
    if (dice < 0.45) {
      await this.client.query(
        `INSERT INTO orders (customer_id, product_id, quantity, total, status)
         SELECT c.id, p.id, q.n, p.price * q.n, 'placed'
         FROM (SELECT id FROM customers ORDER BY random() LIMIT 1) c,
              (SELECT id, price FROM products ORDER BY random() LIMIT 1) p,
              (SELECT 1 + floor(random() * 5)::int AS n) q`,
      );
    } else if (dice < 0.75) {
      await this.client.query(
        `UPDATE orders SET status = (ARRAY['paid', 'shipped', 'delivered'])[1 + floor(random() * 3)::int]
         WHERE id = (SELECT id FROM orders ORDER BY random() LIMIT 1)`,
      );
    } else if (dice < 0.85) {
      await this.client.query(
        `DELETE FROM orders WHERE id = (SELECT id FROM orders ORDER BY random() LIMIT 1)`,
      );
    } else if (dice < 0.97) {
      await this.client.query(
        `UPDATE products SET stock = stock - 1, price = round(price * (0.95 + random() * 0.1)::numeric, 2)
         WHERE id = (SELECT id FROM products ORDER BY random() LIMIT 1)`,
      );
    } else {
      await this.client.query(
        `INSERT INTO customers (name, email) SELECT 'customer ' || n, 'customer' || n || '@example.com'
         FROM (SELECT count(*) + 1 AS n FROM customers) c`,
      );
    }
    this.changes += 1;
  }
}

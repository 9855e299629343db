// The caps of the graphql-ws plane per device: its open connections, and its
// running operations (subscriptions, and queries or mutations sent over the
// socket) over all of them. Counted in this instance's memory: each instance
// of a deployment has its own.
//
// Every count taken is given back by its DeviceConnection: an operation's by
// endOperation, and all that remain, with the connection's own, by close(),
// which the server calls whenever a socket closes, cleanly or not. Both may
// be called more than once.

export interface DeviceSocketCaps {
  maxConnections: number;
  maxOperations: number;
}

export interface DeviceCounts {
  connections: number;
  operations: number;
}

export class DeviceSocketLimits {
  private readonly devices = new Map<string, DeviceCounts>();

  constructor(readonly caps: DeviceSocketCaps) {}

  /** A connection of the device, counted; null when the device already has maxConnections. */
  openConnection(deviceId: string): DeviceConnection | null {
    const counts = this.devices.get(deviceId) ?? { connections: 0, operations: 0 };
    if (counts.connections >= this.caps.maxConnections) return null;
    counts.connections += 1;
    this.devices.set(deviceId, counts);
    return new DeviceConnection(deviceId, counts, this.caps.maxOperations, () => this.forget(deviceId, counts));
  }

  /** The device's counts now (zero for a device with none). */
  countsOf(deviceId: string): Readonly<DeviceCounts> {
    return { ...(this.devices.get(deviceId) ?? { connections: 0, operations: 0 }) };
  }

  /** Drops a device with nothing left open, so that the map holds only devices connected now. */
  private forget(deviceId: string, counts: DeviceCounts): void {
    if (counts.connections === 0 && counts.operations === 0 && this.devices.get(deviceId) === counts) {
      this.devices.delete(deviceId);
    }
  }
}

/** One open connection of a device, and the ids of the operations it runs. */
export class DeviceConnection {
  private readonly operationIds = new Set<string>();
  private closed = false;

  constructor(
    readonly deviceId: string,
    private readonly counts: DeviceCounts,
    private readonly maxOperations: number,
    private readonly forgetIfIdle: () => void,
  ) {}

  /** Counts operation id; false when the device already runs maxOperations (or this connection is closed). */
  startOperation(id: string): boolean {
    if (this.closed) return false;
    // An id sent again while its earlier operation winds down: counted once.
    if (this.operationIds.has(id)) return true;
    if (this.counts.operations >= this.maxOperations) return false;
    this.operationIds.add(id);
    this.counts.operations += 1;
    return true;
  }

  /** Gives back operation id's count; nothing for an id not counted. */
  endOperation(id: string): void {
    if (!this.operationIds.delete(id)) return;
    this.counts.operations -= 1;
  }

  /** Gives back every count of this connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.operationIds]) this.endOperation(id);
    this.counts.connections -= 1;
    this.forgetIfIdle();
  }
}

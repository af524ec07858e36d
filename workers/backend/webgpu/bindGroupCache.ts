/**
 * Bind groups by pipeline, uniform slot and storage buffers. A decoding step repeats the previous step's dispatches on
 * the same pooled buffers and the same uniform-arena slots, so most bind groups can be reused instead of created:
 * creating one was ~23 µs of the 39–73 µs a dispatch costs the host in Node on SwiftShader, and on an NVIDIA H200 a
 * whole target step took about 66 µs per dispatch (README, On a real GPU): there the host's recording is the step time.
 * The uniform slot's contents change per submit (the arena is rewritten before each one); the bind group only names it.
 */
export class BindGroupCache {
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;
  private readonly groups = new Map<string, GPUBindGroup>();
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Entries kept at most; the cache empties when full, which also lets go of groups naming destroyed buffers. */
    private readonly capacity = 4096,
  ) {}

  get(pipeline: GPUComputePipeline, uniform: GPUBuffer, uniformOffset: number, uniformSize: number, buffers: readonly (GPUBuffer | null)[]): GPUBindGroup {
    const key = `${this.id(pipeline)}|${this.id(uniform)}@${uniformOffset}|${buffers.map((b) => (b ? this.id(b) : '-')).join(',')}`;
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= this.capacity) this.groups.clear();
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform, offset: uniformOffset, size: uniformSize } }];
      buffers.forEach((buffer, i) => buffer && entries.push({ binding: i + 1, resource: { buffer } }));
      group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
      this.groups.set(key, group);
      this.created++;
    }
    return group;
  }

  get size(): number {
    return this.groups.size;
  }

  private id(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) this.ids.set(o, (id = this.nextId++));
    return id;
  }
}

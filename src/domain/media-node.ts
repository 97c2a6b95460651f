/** Media-node announcements: stream `media-node-<nodeId>`, read to route viewers. */
export type MediaNodeEvent = {
  type: 'MediaNodeStarted';
  data: { nodeId: string; httpUrl: string; sipHost: string; sipPort: number; at: string };
};

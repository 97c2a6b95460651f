/** Media-node announcements: stream `media-node-<nodeId>`, read to route viewers. */
export type MediaNodeEvent = {
  type: 'MediaNodeStarted';
  data: {
    nodeId: string;
    httpUrl: string;
    /** Where the node serves HTTPS (HTTPS_FLV), absent without a TLS certificate. */
    httpsUrl?: string;
    sipHost: string;
    sipPort: number;
    at: string;
  };
};

// Types for the undici modules system/http.ts loads directly (undici declares only its index).
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}
declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  const request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
  export default request;
}
declare module 'undici/lib/api/api-upgrade.js' {
  import type { Dispatcher } from 'undici';
  const upgrade: (this: Dispatcher, options: Dispatcher.UpgradeOptions) => Promise<Dispatcher.UpgradeData>;
  export default upgrade;
}
